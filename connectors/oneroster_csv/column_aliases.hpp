// The names that OneRoster 1.0, drafts and SIS exporters give to columns of the 1.1/1.2 files
// ("userSourcedId" for demographics.sourcedId, "agents" for users.agentSourcedIds, "grade" for
// classes.grades), and the header rewrite that gives each such column its 1.1/1.2 name before the
// field policy, which names columns the 1.1/1.2 way, sees it. The table, with where each name is
// seen, is in docs/connectors/oneroster_csv.md ("Names from other versions and exporters"); a
// test keeps the two in step.
//
// Names are compared in ASCII case and without surrounding spaces and tabs. Pure functions over
// constant tables: safe from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::connectors::oneroster_csv {

struct ColumnAlias {
  std::string_view stream;     // "demographics"; "" for every file
  std::string_view alias;      // "userSourcedId"
  std::string_view canonical;  // "sourcedId": a column the oneroster preset lists for the stream
};

// Every alias, each mapping to exactly one canonical name of its file.
std::span<const ColumnAlias> column_aliases();

// Renames, in place, the header names of `stream` that stand for one of its canonical columns:
// first the canonical names written in another case or with spaces around them ("SourcedID",
// " grades"), then the aliases. A name is renamed only when no column of the header has that
// canonical name yet (the canonical column wins; the alias column stays as found, and the policy
// drops it unless it lists it). A name in `as_written` (what the configuration names for this
// stream) is never renamed. The order of the columns never changes.
void canonicalize_columns(std::string_view stream, std::vector<std::string>& columns,
                          std::span<const std::string> as_written);

// The names a header may use for `column` of `stream`, for messages: "sourcedId, userSourcedId"
// for demographics' key; just `column` for a name this table does not know.
std::string accepted_names(std::string_view stream, std::string_view column);

}  // namespace ferry::connectors::oneroster_csv
