// A RowSink for the API connectors' tests: CollectingSink keeps strings only, and API rows are
// typed as their JSON was (numbers, booleans, null). TypedSink hands CollectingSink each value's
// text and keeps the types beside it, with the lookups the tests share.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "common/env/clock.hpp"
#include "connectors/api/source.hpp"
#include "connectors/registry/registry.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"

namespace ferry::test {

class TypedSink final : public connectors::RowSink {
 public:
  using CollectedStream = connectors::oneroster_csv::test::CollectedStream;

  connectors::oneroster_csv::test::CollectingSink collected;
  // Per stream begun, per row, per column.
  std::vector<std::vector<std::vector<connectors::ValueType>>> types;

  Result<bool> begin_stream(const connectors::StreamInfo& stream,
                            connectors::StreamMode mode) override {
    types.emplace_back();
    return collected.begin_stream(stream, mode);
  }
  Result<void> row(connectors::RowView values, connectors::RowOp op) override {
    std::vector<connectors::Value> texts;
    std::vector<connectors::ValueType> row_types;
    for (const connectors::Value& value : values) {
      texts.push_back(connectors::Value::string(value.text));
      row_types.push_back(value.type);
    }
    if (types.empty()) return make_error(ErrorCode::kInternal, "row outside a stream");
    types.back().push_back(std::move(row_types));
    return collected.row(texts, op);
  }
  void bad_row(const connectors::BadRow& bad) override { collected.bad_row(bad); }
  Result<void> end_stream(std::string_view state) override { return collected.end_stream(state); }
  Result<void> checkpoint(std::string_view state) override { return collected.checkpoint(state); }
  void stream_failed(std::string_view stream, const Error& error) override {
    collected.stream_failed(stream, error);
  }

  const CollectedStream& stream(std::string_view name) const {
    const CollectedStream* found = collected.find(name);
    INFO("stream " << name);
    REQUIRE(found != nullptr);
    return *found;
  }
  connectors::ValueType type(std::string_view name, std::size_t row,
                             std::string_view column) const {
    for (std::size_t s = 0; s < collected.streams.size(); ++s) {
      const CollectedStream& stream = collected.streams[s];
      if (stream.info.name != name) continue;
      for (std::size_t c = 0; c < stream.info.columns.size(); ++c) {
        if (stream.info.columns[c] == column) return types.at(s).at(row).at(c);
      }
    }
    FAIL("no column " << column << " in stream " << name);
    return connectors::ValueType::kNull;
  }
  // The failure of `stream`, if it failed.
  const Error* failure(std::string_view stream) const {
    for (const auto& [name, error] : collected.failures) {
      if (name == stream) return &error;
    }
    return nullptr;
  }
  // Every error message handed over: stream failures and bad rows' reasons.
  std::vector<std::string> messages() const {
    std::vector<std::string> all;
    for (const auto& [stream, error] : collected.failures) all.push_back(error.message);
    for (const auto& bad : collected.bad_rows) all.push_back(bad.location + ": " + bad.reason);
    return all;
  }
};

// What the API connectors' tests do with a source: make it with their clock, run it, and keep
// the state the agent would keep.
class SourceUnderTest {
 public:
  // `settings` and `clock` outlive this.
  SourceUnderTest(const config::SourceSettings& settings, const env::Clock& clock)
      : settings_(settings), clock_(clock) {}

  Result<std::unique_ptr<connectors::Source>> make() const {
    auto context = connectors::inspection_context(settings_);
    context.clock = &clock_;
    return connectors::create_source(settings_, context);
  }
  // The source, made at the first call and kept (it keeps its session, as the agent's does).
  connectors::Source& source() {
    if (!made_) {
      auto created = make();
      INFO((created ? "" : created.error().message));
      REQUIRE(created);
      made_ = std::move(*created);
    }
    return *made_;
  }
  // One run from `state`; the run must succeed.
  TypedSink read(const connectors::ResumeState& state = {}) {
    TypedSink sink;
    auto read = source().read(state, sink, {});
    INFO((read ? "" : read.error().message));
    REQUIRE(read);
    return sink;
  }
  // The state the agent would keep after `sink`'s run.
  static connectors::ResumeState states(const TypedSink& sink,
                                        connectors::ResumeState before = {}) {
    for (const TypedSink::CollectedStream& stream : sink.collected.streams) {
      if (stream.ended) before.streams[stream.info.name] = stream.state;
    }
    return before;
  }

 private:
  const config::SourceSettings& settings_;
  const env::Clock& clock_;
  std::unique_ptr<connectors::Source> made_;
};

}  // namespace ferry::test
