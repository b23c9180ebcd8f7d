// Test helpers for the SQLite query connector: a database file the test writes with SQLite itself,
// settings for a source over it, and a sink that records what a source hands over and applies the
// agent's change detection (it remembers a hash of each row per key and forwards a row only when
// it differs from the one last forwarded for its key).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"
#include "connectors/sqlite_query/sqlite_query.hpp"

namespace ferry::test {

class TestDatabase {
 public:
  explicit TestDatabase(const std::filesystem::path& path) {
    REQUIRE(sqlite3_open_v2(path.string().c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
  }
  ~TestDatabase() { sqlite3_close_v2(db_); }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    INFO(sql << ": " << (message != nullptr ? message : "ok"));
    sqlite3_free(message);
    REQUIRE(rc == SQLITE_OK);
  }

 private:
  sqlite3* db_ = nullptr;
};

inline config::OptionValue text_value(std::string text) { return config::OptionValue{{text}, {}}; }

inline config::StreamSettings query_stream(std::string name, std::string key, std::string query,
                                           std::string cursor, std::string lookback = "") {
  config::StreamSettings stream;
  stream.name = std::move(name);
  stream.key = std::move(key);
  stream.options.emplace("query", text_value(std::move(query)));
  stream.options.emplace("cursor", text_value(std::move(cursor)));
  if (!lookback.empty()) stream.options.emplace("lookback", text_value(std::move(lookback)));
  return stream;
}

inline config::SourceSettings sqlite_source(const std::filesystem::path& path,
                                            std::vector<config::StreamSettings> streams) {
  config::SourceSettings source;
  source.name = "db";
  source.type = "sqlite";
  source.options.emplace("path", text_value(path.string()));
  source.streams = std::move(streams);
  return source;
}

struct RecordedRow {
  std::string stream;
  std::vector<connectors::ValueType> types;
  std::vector<std::string> texts;
  connectors::RowOp op = connectors::RowOp::kUpsert;

  const std::string& operator[](std::size_t column) const { return texts.at(column); }
};

class RecordingSink : public connectors::RowSink {
 public:
  Result<bool> begin_stream(const connectors::StreamInfo& stream,
                            connectors::StreamMode mode) override {
    current_ = stream;
    modes.push_back(mode);
    ++begun;
    key_index_ = 0;
    for (std::size_t i = 0; i < stream.columns.size(); ++i) {
      if (stream.columns[i] == stream.key) key_index_ = i;
    }
    return true;
  }

  Result<void> row(connectors::RowView values, connectors::RowOp op) override {
    if (fail_at_row && rows.size() + 1 == *fail_at_row) {
      return tl::unexpected(Error{ErrorCode::kIo, "sink failed on purpose"});
    }
    RecordedRow recorded{current_.name, {}, {}, op};
    std::string fingerprint;
    for (const connectors::Value& value : values) {
      recorded.types.push_back(value.type);
      recorded.texts.emplace_back(value.text);
      fingerprint += std::to_string(static_cast<int>(value.type)) + ":" +
                     std::to_string(value.text.size()) + ":" + std::string(value.text) + "|";
    }
    const std::string key = current_.name + "/" + recorded.texts.at(key_index_);
    const std::size_t hash = std::hash<std::string>{}(fingerprint);
    auto [it, inserted] = sent_.try_emplace(key, hash);
    if (inserted || it->second != hash) {
      it->second = hash;
      forwarded.push_back(recorded);
    }
    rows.push_back(std::move(recorded));
    if (stop_after_rows && rows.size() == *stop_after_rows) stop.request_stop();
    return {};
  }

  void bad_row(const connectors::BadRow& bad) override { bad_rows.push_back(bad); }

  Result<void> end_stream(std::string_view state) override {
    ++ended;
    stream_states[current_.name] = std::string(state);
    return {};
  }

  void stream_failed(std::string_view stream, const Error& error) override {
    failures.emplace_back(std::string(stream), error);
  }

  Result<void> checkpoint(std::string_view state) override {
    checkpoints.emplace_back(state);
    rows_at_checkpoint.push_back(rows.size());
    return {};
  }

  // Forgets what one read recorded, keeping the change-detection memory (as the agent does).
  void next_poll() {
    rows.clear();
    forwarded.clear();
    bad_rows.clear();
    checkpoints.clear();
    rows_at_checkpoint.clear();
    modes.clear();
    failures.clear();
    begun = ended = 0;
  }

  std::vector<RecordedRow> rows;       // everything handed over
  std::vector<RecordedRow> forwarded;  // what change detection lets through
  std::vector<connectors::BadRow> bad_rows;
  std::vector<std::string> checkpoints;
  std::vector<std::size_t> rows_at_checkpoint;  // rows handed over when each checkpoint came
  std::vector<connectors::StreamMode> modes;
  std::vector<std::pair<std::string, Error>> failures;  // stream_failed: stream and error
  std::map<std::string, std::string> stream_states;     // the last end_stream state per stream
  int begun = 0;
  int ended = 0;
  std::optional<std::size_t> fail_at_row;      // row() fails for this 1-based row
  std::optional<std::size_t> stop_after_rows;  // requests `stop` after this many rows
  std::stop_source stop;

 private:
  connectors::StreamInfo current_;
  std::size_t key_index_ = 0;
  std::map<std::string, std::size_t> sent_;  // stream/key -> hash of the row last forwarded
};

// The values of one column over the rows, for compact expectations.
inline std::vector<std::string> column_of(const std::vector<RecordedRow>& rows,
                                          std::size_t column) {
  std::vector<std::string> out;
  for (const RecordedRow& row : rows) out.push_back(row[column]);
  return out;
}

inline std::unique_ptr<connectors::Source> make_source(const config::SourceSettings& settings) {
  auto source = connectors::sqlite_query::create(settings, connectors::SourceContext{});
  INFO((source ? std::string("created") : source.error().message));
  REQUIRE(source);
  return std::move(*source);
}

// Reads from a source-wide `state` and requires success with no stream failed; the new state.
inline std::string read_ok(connectors::Source& source, std::string_view state,
                           RecordingSink& sink) {
  auto result =
      source.read(connectors::ResumeState{std::string(state), {}}, sink, sink.stop.get_token());
  INFO((result ? std::string("read") : result.error().message));
  REQUIRE(result);
  INFO((sink.failures.empty() ? std::string() : sink.failures.front().second.message));
  REQUIRE(sink.failures.empty());
  return *result;
}

// The error of a read that must fail: the read's own error, or else the first stream's failure.
inline Error read_error(connectors::Source& source, std::string_view state, RecordingSink& sink) {
  auto result =
      source.read(connectors::ResumeState{std::string(state), {}}, sink, sink.stop.get_token());
  if (result) {
    REQUIRE_FALSE(sink.failures.empty());
    return sink.failures.front().second;
  }
  return result.error();
}

}  // namespace ferry::test
