// The interface every source type implements, and what the agent hands it.
//
// Two shapes of source share it:
//  - snapshot sources (a OneRoster CSV export) deliver their whole data set on every read; the
//    agent compares it with what it sent before (change detection) and sends only new and changed
//    rows, and deletes for keys that vanished;
//  - change sources (a SQL query with a cursor, a OneRoster delta export) deliver only what
//    changed since `state`; absence means nothing.
//
// Ownership and threads: the agent owns a Source, calls it from one worker thread at a time (not
// always the same thread), and owns the resume state (it stores it in the spool together with
// the rows that consumed it). A connector never writes state itself and never keeps rows after handing them to the sink: it
// reads with bounded memory whatever the source size. Connectors know nothing of config parsing:
// their factory receives validated settings.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "connectors/api/context.hpp"
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
  // Rows that follow belong to `stream` and are aligned to stream.columns. False: the agent does
  // not take this stream in this run (it reported why, as a failure of that stream); the source
  // skips its rows, calls no end_stream for it, and goes on with the next stream.
  virtual Result<bool> begin_stream(const StreamInfo& stream, StreamMode mode) = 0;
  // One row; the values are views valid only during the call.
  virtual Result<void> row(RowView values, RowOp op) = 0;
  virtual void bad_row(const BadRow& bad) = 0;
  // The stream is complete (for kSnapshot: every row of the data set was handed over). `state`
  // is where this stream resumes next time (ResumeState::streams); "" for none.
  virtual Result<void> end_stream(std::string_view state) = 0;
  // Optional progress for long change reads: once everything handed over so far is stored,
  // reading the current stream may resume from `state`. Call only between rows of a stream.
  virtual Result<void> checkpoint(std::string_view state) = 0;
  // `stream` could not be read in this run (a file missing, a header it cannot use, a query that
  // fails): its rows handed over since its last checkpoint are not kept, it keeps its old resume
  // state, a snapshot stream sends no deletes, and the failure is reported for that stream
  // alone. Call it instead of end_stream (also for a stream never begun), then go on with the
  // next stream. A failure that stops every stream (the export or database is not there) is
  // read()'s error instead.
  virtual void stream_failed(std::string_view stream, const Error& error) = 0;
  // True once the sink needs no more rows of the current stream (`ferry preview --limit`, which
  // stores nothing). A source checks it after each row it hands over and may then stop reading
  // that stream: it calls end_stream and goes on with the next stream, and read() returns the
  // old state (what it read was not the whole data set). A sink that keeps state never says so.
  virtual bool enough_rows() const { return false; }
};

// Where a source resumes: what it handed over last time, kept by the agent in the spool together
// with the rows that consumed it. Each stream's state moves on its own (end_stream, checkpoint);
// `source` is what read() returned when a run ended with no stream failed.
struct ResumeState {
  std::string source;
  std::map<std::string, std::string, std::less<>> streams;

  // The state of `stream`, "" when it has none.
  std::string_view stream(std::string_view name) const {
    const auto found = streams.find(name);
    return found == streams.end() ? std::string_view() : std::string_view(found->second);
  }
};

class Source {
 public:
  virtual ~Source() = default;

  // The streams this source has now, with their columns (may open files to read headers).
  // For `ferry preview`, `validate` and the policy compiler.
  virtual Result<std::vector<StreamInfo>> streams() = 0;

  // Is the source there and readable? For `ferry check`. Says what is wrong and the fix.
  virtual Result<void> check() = 0;

  // Reads what is new after `state` (empty = from the beginning) into `sink`, stream after
  // stream. Returns the source-wide state (state.source next time); each stream's own state goes
  // to the sink with end_stream. A source with nothing new returns state.source unchanged
  // without calling the sink (e.g. the same export again). Returns early with an error of kind
  // kUnavailable when `stop` is requested. Errors say their class by code: kUnavailable (try
  // again soon), kRateLimited, kAuth (credentials refused), kCorrupt/kConfig/kNotFound (the data
  // or the settings need a person).
  virtual Result<std::string> read(const ResumeState& state, RowSink& sink,
                                   std::stop_token stop) = 0;
};

// Builds a source from validated settings. Cheap: it opens nothing until asked. The source lives
// as long as the agent runs this configuration, so it may keep what is worth reusing between
// runs (a connection, an access token); `context` outlives it.
using SourceFactory = Result<std::unique_ptr<Source>> (*)(const config::SourceSettings& settings,
                                                          const SourceContext& context);
// The same, as any callable (the agent takes one, so that tests can hand it scripted sources).
using SourceMaker = std::function<Result<std::unique_ptr<Source>>(
    const config::SourceSettings& settings, const SourceContext& context)>;

}  // namespace ferry::connectors
