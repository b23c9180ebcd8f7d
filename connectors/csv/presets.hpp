// The built-in presets of the csv connector: `preset: clever` (Clever's SFTP files) and
// `preset: sds` (Microsoft School Data Sync CSV, v1 and v2.1). Each stream is one file of the
// format, with its key and a field policy; docs/connectors/csv.md has the tables, with the reason
// for each choice, and a test keeps the two in step.
//
// The choices follow the oneroster preset's (docs/connectors/oneroster_csv.md, "Choices and
// reasons"): a person's SIS id is pseudonymized in domain `user`, the same domain as OneRoster's
// sourcedId, so that the tables join and a district that moves between formats keeps its joins
// where the ids are the same; the ids of the school's structure (schools, sections, classes,
// terms) are kept; names, contact details, free text, demographics beyond the birth year and
// passwords are dropped. Files whose rows have no id of their own (enrollments, rosters, roles,
// relationships, flags) are keyed by the columns that together identify a row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/settings.hpp"

namespace ferry::connectors::csv {

struct PresetStream {
  config::StreamSettings settings;  // name, key, `default: drop`, fields
  std::string file;                 // the file it reads: "students.csv"
  // For a preset whose format has versions (sds): "v1" or "v2.1". An export is read as the one
  // version whose files it holds.
  std::string version;
};

// The streams of `preset` ("clever", "sds"); none for any other name.
std::vector<PresetStream> preset_table(std::string_view preset);

// The streams' policies alone, for the connector registry (connectors::effective_streams).
std::vector<config::StreamSettings> clever_streams();
std::vector<config::StreamSettings> sds_streams();

}  // namespace ferry::connectors::csv
