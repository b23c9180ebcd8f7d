// A change source that reads one SQL query per stream through a QueryEngine, resuming from a
// typed cursor per stream. Engine-neutral: the SQLite connector builds it with the SQLite engine.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/api/source.hpp"
#include "connectors/sqlite_query/query_config.hpp"
#include "connectors/sqlite_query/query_engine.hpp"

namespace ferry::connectors::sqlite_query {

class QuerySource final : public Source {
 public:
  QuerySource(QuerySourceConfig config, std::unique_ptr<QueryEngine> engine);

  // Prepares every query (without running it) for its columns.
  Result<std::vector<StreamInfo>> streams() override;
  // Connects and prepares and checks every query.
  Result<void> check() override;
  // Each stream in configuration order, on one connection. See stream_reader.hpp for the rule.
  // Each stream ends with its own cursor as its state; the source-wide state returned holds every
  // stream's cursor. A query that fails fails its stream only; a database that cannot be opened
  // fails the read.
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

 private:
  Result<std::unique_ptr<QueryConnection>> connect(std::stop_token stop);

  QuerySourceConfig config_;
  std::unique_ptr<QueryEngine> engine_;
};

}  // namespace ferry::connectors::sqlite_query
