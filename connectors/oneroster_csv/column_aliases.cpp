#include "connectors/oneroster_csv/column_aliases.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "connectors/files/text.hpp"
#include "connectors/oneroster_csv/oneroster_csv.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

// Where each is seen: docs/connectors/oneroster_csv.md, "Names from other versions and exporters".
constexpr std::array kAliases{
    ColumnAlias{"", "dataLastModified", "dateLastModified"},
    ColumnAlias{"", "dateModified", "dateLastModified"},
    ColumnAlias{"classes", "grade", "grades"},
    ColumnAlias{"classes", "termSourcedId", "termSourcedIds"},
    ColumnAlias{"courses", "grade", "grades"},
    ColumnAlias{"courses", "schoolYearId", "schoolYearSourcedId"},
    ColumnAlias{"demographics", "userSourcedId", "sourcedId"},
    ColumnAlias{"demographics", "nativeAmericanOrOtherPacificIslander",
                "nativeHawaiianOrOtherPacificIslander"},
    ColumnAlias{"users", "userId", "userIds"},
    ColumnAlias{"users", "agents", "agentSourcedIds"},
    ColumnAlias{"users", "agentSourceIds", "agentSourcedIds"},
    ColumnAlias{"users", "prefferedGivenName", "preferredGivenName"},
    ColumnAlias{"users", "prefferedMiddleName", "preferredMiddleName"},
    ColumnAlias{"users", "prefferedFamilyName", "preferredFamilyName"},
};

// The columns every OneRoster file starts with: canonical in a file the preset does not know.
constexpr std::array<std::string_view, 3> kCommon{"sourcedId", "status", "dateLastModified"};

// The canonical names of each file: the columns the oneroster preset lists for it.
const std::map<std::string, std::vector<std::string>, std::less<>>& preset_columns() {
  static const auto columns = [] {
    std::map<std::string, std::vector<std::string>, std::less<>> by_stream;
    for (const auto& stream : preset_streams()) {
      auto& names = by_stream[stream.name];
      for (const auto& field : stream.fields) names.push_back(field.name);
    }
    return by_stream;
  }();
  return columns;
}

// The canonical name that `name` (trimmed, any case) spells in `stream`, or "".
std::string_view canonical_spelling(std::string_view stream, std::string_view name) {
  const auto& by_stream = preset_columns();
  if (const auto found = by_stream.find(stream); found != by_stream.end()) {
    for (const std::string& column : found->second) {
      if (files::equals_ignoring_case(column, name)) return column;
    }
    return {};
  }
  for (std::string_view column : kCommon) {
    if (files::equals_ignoring_case(column, name)) return column;
  }
  return {};
}

bool applies_to(const ColumnAlias& alias, std::string_view stream) {
  return alias.stream.empty() || alias.stream == stream;
}

// The canonical name `name` (trimmed, any case) is an alias of in `stream`, or "".
std::string_view aliased(std::string_view stream, std::string_view name) {
  for (const ColumnAlias& alias : kAliases) {
    if (applies_to(alias, stream) && files::equals_ignoring_case(alias.alias, name)) {
      return alias.canonical;
    }
  }
  return {};
}

}  // namespace

std::span<const ColumnAlias> column_aliases() { return kAliases; }

void canonicalize_columns(std::string_view stream, std::vector<std::string>& columns,
                          std::span<const std::string> as_written) {
  // Two passes, so that a canonical name in another case wins over an alias wherever it stands.
  for (const auto canonical_of : {&canonical_spelling, &aliased}) {
    for (std::string& column : columns) {
      if (std::find(as_written.begin(), as_written.end(), column) != as_written.end()) continue;
      const std::string_view canonical = canonical_of(stream, files::trim(column));
      if (canonical.empty() || canonical == column) continue;
      if (std::find(columns.begin(), columns.end(), canonical) != columns.end()) continue;
      column = std::string(canonical);
    }
  }
}

std::string accepted_names(std::string_view stream, std::string_view column) {
  std::string names(column);
  for (const ColumnAlias& alias : kAliases) {
    if (applies_to(alias, stream) && alias.canonical == column) {
      names += ", ";
      names += alias.alias;
    }
  }
  return names;
}

}  // namespace ferry::connectors::oneroster_csv
