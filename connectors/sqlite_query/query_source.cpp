#include "connectors/sqlite_query/query_source.hpp"

#include <fmt/format.h>

#include "connectors/sqlite_query/cursor_state.hpp"
#include "connectors/sqlite_query/prepared_stream.hpp"
#include "connectors/sqlite_query/stream_reader.hpp"

namespace ferry::connectors::sqlite_query {

QuerySource::QuerySource(QuerySourceConfig config, std::unique_ptr<QueryEngine> engine)
    : config_(std::move(config)), engine_(std::move(engine)) {}

Result<std::unique_ptr<QueryConnection>> QuerySource::connect(std::stop_token stop) {
  auto connection = engine_->connect(std::move(stop));
  if (!connection)
    return with_context(connection.error(), fmt::format("source '{}'", config_.source));
  return connection;
}

Result<std::vector<StreamInfo>> QuerySource::streams() {
  auto connection = connect({});
  if (!connection) return tl::unexpected(connection.error());
  std::vector<StreamInfo> out;
  for (const StreamQuery& stream : config_.streams) {
    auto prepared = prepare_stream(**connection, config_, stream);
    if (!prepared) return tl::unexpected(prepared.error());
    out.push_back(std::move(prepared->info));
  }
  return out;
}

Result<void> QuerySource::check() {
  auto listed = streams();
  if (!listed) return tl::unexpected(listed.error());
  return {};
}

Result<std::string> QuerySource::read(const ResumeState& state, RowSink& sink,
                                      std::stop_token stop) {
  auto saved = decode_resume_state(state);
  if (!saved) return with_context(saved.error(), fmt::format("source '{}'", config_.source));
  // Only configured streams whose cursor column is still the same keep their position; a stream
  // whose cursor column changed reads from the beginning again.
  CursorState current;
  for (const StreamQuery& stream : config_.streams) {
    auto it = saved->find(stream.name);
    if (it != saved->end() && it->second.column == stream.cursor_column) current.insert(*it);
  }

  auto connection = connect(stop);
  if (!connection) return tl::unexpected(connection.error());
  bool moved = false;
  for (const StreamQuery& stream : config_.streams) {
    if (stop.stop_requested()) {
      return make_error(ErrorCode::kUnavailable, "source '{}': read stopped on request",
                        config_.source);
    }
    // A query that cannot be prepared or fails while running fails its stream only.
    auto prepared = prepare_stream(**connection, config_, stream);
    if (!prepared) {
      if ((*connection)->lost()) return tl::unexpected(prepared.error());
      sink.stream_failed(stream.name, prepared.error());
      continue;
    }
    StreamReadContext context{config_, current, sink, stop};
    auto read = read_stream(*prepared, stream, context);
    if (!read) {
      if (context.sink_failed || stop.stop_requested() || (*connection)->lost()) {
        return tl::unexpected(read.error());
      }
      sink.stream_failed(stream.name, read.error());
      continue;
    }
    moved = moved || *read;
  }
  // Nothing newer anywhere: the state exactly as it came, as the Source contract asks.
  if (!moved) return state.source;
  return encode_state(current);
}

}  // namespace ferry::connectors::sqlite_query
