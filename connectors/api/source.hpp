// The interface every source type implements, and what the agent hands it.
//
// Two shapes of source share it:
//  - snapshot sources (a OneRoster CSV export) deliver their whole data set on every read; the
//    agent compares it with what it sent before (change detection) and sends only new and changed
//    rows, and deletes for keys that vanished;
//  - change sources (a SQL query with a cursor, a OneRoster delta export) deliver only what
//    changed since `state`; absence means nothing.
//
// Ownership and threads: the agent owns a Source, calls it from one worker thread at a time, and
// owns the resume state (it stores it in the spool together with the rows that consumed it). A
// connector never writes state itself and never keeps rows after handing them to the sink: it
// reads with bounded memory whatever the source size. Connectors know nothing of config parsing:
// their factory receives validated settings.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "connectors/api/row.hpp"

namespace ferry::connectors {

struct StreamInfo {
  std::string name;                  // "users"; [A-Za-z0-9._-]+
  std::vector<std::string> columns;  // in the order of the values of each row
  std::string key;                   // the natural key column ("sourcedId"), or "" if none
};

enum class StreamMode {
  kSnapshot,  // the full set: a key the agent sent before that is absent now was deleted
  kChanges,   // only changes: upserts and explicit deletes; absence means nothing
};

// A row the connector could not read. Counted and reported by the agent; never silent.
struct BadRow {
  std::string stream;
  std::string location;  // "users.csv:17" (file and 1-based line of the row's start)
  std::string reason;    // "expected 12 fields, found 11" (never the row's content)
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Rows that follow belong to `stream` and are aligned to stream.columns.
  virtual Result<void> begin_stream(const StreamInfo& stream, StreamMode mode) = 0;
  // One row; the values are views valid only during the call.
  virtual Result<void> row(RowView values, RowOp op) = 0;
  virtual void bad_row(const BadRow& bad) = 0;
  // The stream is complete (for kSnapshot: every row of the data set was handed over).
  virtual Result<void> end_stream() = 0;
  // Optional progress for long change reads: once everything handed over so far is stored,
  // reading may resume from `state`. Call only between streams or between rows.
  virtual Result<void> checkpoint(std::string_view state) = 0;
};

class Source {
 public:
  virtual ~Source() = default;

  // The streams this source has now, with their columns (may open files to read headers).
  // For `ferry preview`, `validate` and the policy compiler.
  virtual Result<std::vector<StreamInfo>> streams() = 0;

  // Is the source there and readable? For `ferry check`. Says what is wrong and the fix.
  virtual Result<void> check() = 0;

  // Reads what is new after `state` ("" = from the beginning) into `sink`, stream after stream.
  // Returns the state to resume from once everything handed over is stored. A source with
  // nothing new returns `state` unchanged without calling the sink (e.g. the same export again).
  // Returns early with an error of kind kUnavailable when `stop` is requested.
  virtual Result<std::string> read(std::string_view state, RowSink& sink, std::stop_token stop) = 0;
};

// Builds a source from validated settings. Cheap: it opens nothing until asked.
using SourceFactory = Result<std::unique_ptr<Source>> (*)(const config::SourceSettings& settings);

}  // namespace ferry::connectors
