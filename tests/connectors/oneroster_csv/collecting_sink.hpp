// Test double: a RowSink that copies everything it is handed, and can ask to stop after a number
// of rows (to test that a source honours its stop_token between rows).
#pragma once

#include <optional>
#include <utility>
#include <stop_token>
#include <string>
#include <vector>

#include "connectors/api/source.hpp"

namespace ferry::connectors::oneroster_csv::test {

struct CollectedStream {
  StreamInfo info;
  StreamMode mode = StreamMode::kSnapshot;
  std::vector<std::vector<std::string>> rows;
  std::vector<RowOp> ops;
  bool ended = false;
  bool failed = false;  // stream_failed came instead of end_stream
  std::string state;    // what end_stream gave

  // The value of `column` in row `row`.
  const std::string& at(std::size_t row, std::string_view column) const {
    for (std::size_t i = 0; i < info.columns.size(); ++i) {
      if (info.columns[i] == column) return rows.at(row).at(i);
    }
    static const std::string kMissing = "<no such column>";
    return kMissing;
  }
};

class CollectingSink final : public RowSink {
 public:
  std::vector<CollectedStream> streams;
  std::vector<BadRow> bad_rows;
  std::vector<std::pair<std::string, Error>> failures;  // stream_failed: stream and error
  std::size_t calls = 0;
  std::size_t rows_seen = 0;
  std::optional<std::size_t> stop_after_rows;  // requests stop on `stopper` after that many rows
  std::stop_source stopper;

  Result<bool> begin_stream(const StreamInfo& stream, StreamMode mode) override {
    ++calls;
    if (!streams.empty() && !streams.back().ended && !streams.back().failed) {
      return make_error(ErrorCode::kInternal, "begin_stream before end_stream");
    }
    streams.push_back({stream, mode, {}, {}, false, false, {}});
    return true;
  }

  Result<void> row(RowView values, RowOp op) override {
    ++calls;
    if (streams.empty() || streams.back().ended) {
      return make_error(ErrorCode::kInternal, "row outside a stream");
    }
    if (values.size() != streams.back().info.columns.size()) {
      return make_error(ErrorCode::kInternal, "row of {} values for {} columns", values.size(),
                        streams.back().info.columns.size());
    }
    std::vector<std::string> copy;
    for (const Value& value : values) {
      if (value.type != ValueType::kString) {
        return make_error(ErrorCode::kInternal, "value that is not a string");
      }
      copy.emplace_back(value.text);
    }
    streams.back().rows.push_back(std::move(copy));
    streams.back().ops.push_back(op);
    if (stop_after_rows && ++rows_seen >= *stop_after_rows) stopper.request_stop();
    return {};
  }

  void bad_row(const BadRow& bad) override {
    ++calls;
    bad_rows.push_back(bad);
  }

  Result<void> end_stream(std::string_view state) override {
    ++calls;
    if (streams.empty() || streams.back().ended) return make_error(ErrorCode::kInternal, "end");
    streams.back().ended = true;
    streams.back().state = std::string(state);
    return {};
  }

  void stream_failed(std::string_view stream, const Error& error) override {
    ++calls;
    if (!streams.empty() && streams.back().info.name == stream && !streams.back().ended) {
      streams.back().failed = true;
    }
    failures.push_back({std::string(stream), error});
  }

  Result<void> checkpoint(std::string_view) override {
    ++calls;
    return {};
  }

  const CollectedStream* find(std::string_view name) const {
    for (const auto& stream : streams) {
      if (stream.info.name == name) return &stream;
    }
    return nullptr;
  }

  std::size_t total_rows() const {
    std::size_t total = 0;
    for (const auto& stream : streams) total += stream.rows.size();
    return total;
  }
};

}  // namespace ferry::connectors::oneroster_csv::test
