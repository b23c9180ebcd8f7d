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
  // Each stream in configuration order, on one connection. See stream_reader.hpp for the rule;
  // besides its checkpoints, a checkpoint follows every stream whose cursor moved but the last.
  Result<std::string> read(std::string_view state, RowSink& sink, std::stop_token stop) override;

 private:
  Result<std::unique_ptr<QueryConnection>> connect(std::stop_token stop);

  QuerySourceConfig config_;
  std::unique_ptr<QueryEngine> engine_;
};

}  // namespace ferry::connectors::sqlite_query
