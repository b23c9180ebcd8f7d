// Test double: a source whose every read the test scripts: its streams, which of them fail, a
// read that blocks until the test lets it go, a whole-read error, an exception. Each stream has
// the columns id and name (key id) and hands over `rows` rows, ids "<stream>-1", "<stream>-2"...
// The shared Script outlives the source (the agent owns the source; the test keeps the script).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::test {

struct Script {
  std::mutex mutex;
  std::condition_variable_any changed;
  std::vector<std::string> streams = {"users", "classes"};
  std::uint64_t rows = 2;
  std::set<std::string> failing;  // these streams fail (stream_failed) after their first row
  std::optional<ErrorCode> fail_read;  // the read fails as a whole with this code
  bool throw_in_read = false;          // the read throws (a connector bug)
  bool blocked = false;                // the read waits until unblocked, or stopped
  int reads = 0;                       // reads begun
  int reading = 0;                     // reads in progress
  std::vector<connectors::ResumeState> states_seen;  // what each read was given

  void set(const std::function<void(Script&)>& change) {
    {
      std::lock_guard lock(mutex);
      change(*this);
    }
    changed.notify_all();
  }
  template <class Value>
  Value get(const std::function<Value(const Script&)>& read) {
    std::lock_guard lock(mutex);
    return read(*this);
  }
};

class ScriptedSource final : public connectors::Source {
 public:
  explicit ScriptedSource(std::shared_ptr<Script> script) : script_(std::move(script)) {}

  Result<std::vector<connectors::StreamInfo>> streams() override {
    std::vector<connectors::StreamInfo> out;
    for (const auto& name : script_->streams) out.push_back(info(name));
    return out;
  }
  Result<void> check() override { return {}; }

  Result<std::string> read(const connectors::ResumeState& state, connectors::RowSink& sink,
                           std::stop_token stop) override {
    Script& s = *script_;
    std::unique_lock lock(s.mutex);
    ++s.reads;
    ++s.reading;
    s.states_seen.push_back(state);
    s.changed.notify_all();
    s.changed.wait(lock, stop, [&] { return !s.blocked; });
    --s.reading;
    s.changed.notify_all();
    if (stop.stop_requested()) return make_error(ErrorCode::kUnavailable, "stopped on request");
    if (s.throw_in_read) throw std::runtime_error("row 7 of users has name 'Zelda Example'");
    if (s.fail_read) return make_error(*s.fail_read, "the scripted source fails");
    const int read_number = s.reads;
    const auto streams = s.streams;
    const auto failing = s.failing;
    const auto rows = s.rows;
    lock.unlock();
    for (const auto& name : streams) {
      auto begun = sink.begin_stream(info(name), connectors::StreamMode::kSnapshot);
      if (!begun) return tl::unexpected(begun.error());
      if (!*begun) continue;
      for (std::uint64_t i = 1; i <= rows; ++i) {
        const std::string id = fmt::format("{}-{}", name, i);
        const std::string label = fmt::format("name {}", i);
        const connectors::Value values[] = {connectors::Value::string(id),
                                            connectors::Value::string(label)};
        if (auto taken = sink.row(values, connectors::RowOp::kUpsert); !taken) {
          return tl::unexpected(taken.error());
        }
        if (failing.contains(name)) break;
      }
      if (failing.contains(name)) {
        sink.stream_failed(name, Error{ErrorCode::kCorrupt, name + ".csv cannot be read"});
        continue;
      }
      auto ended = sink.end_stream(fmt::format("{}@{}", name, read_number));
      if (!ended) return tl::unexpected(ended.error());
    }
    return fmt::format("read-{}", read_number);
  }

  static connectors::StreamInfo info(const std::string& name) {
    return {.name = name, .columns = {"id", "name"}, .key = "id"};
  }

 private:
  std::shared_ptr<Script> script_;
};

// A stream policy for a scripted stream: id and name kept.
inline config::StreamSettings scripted_stream(const std::string& name) {
  config::StreamSettings stream;
  stream.name = name;
  stream.key = "id";
  for (const char* field : {"id", "name"}) {
    stream.fields.push_back({.name = field,
                             .transform = config::Transform::kKeep,
                             .domain = {},
                             .normalize = {},
                             .list = false,
                             .generalize = {},
                             .at = {}});
  }
  return stream;
}

}  // namespace ferry::test
