// What the SQL connector needs to know of a query's text before a driver sees it: the :cursor
// parameters, rewritten as ODBC's `?` markers, and whether the statement starts as a read.
//
// The scan knows enough SQL to skip what is not code: 'strings' (with '' and, for MariaDB, \'
// inside), "quoted", `backticked` and [bracketed] identifiers, -- and /* */ comments, and
// PostgreSQL's $tag$ strings. `::` (a PostgreSQL cast) is not a parameter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::connectors::sql {

struct ScannedSql {
  std::string odbc_text;                // the query with each :cursor replaced by ?
  std::size_t cursor_markers = 0;       // how many :cursor there were (each binds the cursor)
  std::vector<std::string> parameters;  // every parameter as written, each once: ":cursor", "?"
  bool starts_as_read = false;          // the first keyword is SELECT, WITH, VALUES or TABLE
};

ScannedSql scan_sql(std::string_view text);

}  // namespace ferry::connectors::sql
