// The Ed-Fi resources Ferry knows, each with its columns (a name, and the JSON pointer of its value
// in the resource) and the `preset: edfi` policy of each column: one table, so that the columns a
// source reads and the preset's fields cannot drift apart. docs/connectors/edfi.md has the same
// tables with the reasons (a test keeps the two in step).
//
// Paths hold for Ed-Fi Data Standard 3.x (ODS/API 5.x) to 5.x (ODS/API 7.x); where the standards
// differ (a grade's grading period: periodSequence in 3.x, gradingPeriodName since 4.0) both
// columns are there and the one the API lacks is null.
//
// The choices follow the other presets': a person's SIS id (studentUniqueId, staffUniqueId) is
// pseudonymized in domain `user`, so the tenant joins Ed-Fi rows with those of OneRoster, Clever
// or SDS where the district uses the same ids; the resource id (`id`, a GUID the ODS makes) of a
// record about a person is pseudonymized in domain `edfi_record`; the ids and names of the
// school's structure are kept; names, contact details, free text and demographics beyond the
// birth year are dropped. Values that are descriptors ("uri://ed-fi.org/XDescriptor#Value") are
// reduced to their value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/settings.hpp"

namespace ferry::connectors::edfi {

struct ResourceColumn {
  std::string name;            // "studentUniqueId"
  std::string path;            // "/studentReference/studentUniqueId"
  config::FieldPolicy policy;  // in the edfi preset
};

struct KnownResource {
  std::string stream;                   // "students": also the resource's name under ed-fi/
  std::vector<ResourceColumn> columns;  // columns[0] is "id"
};

const std::vector<KnownResource>& known_resources();
const KnownResource* find_known(std::string_view stream);

// `preset: edfi`: a stream per known resource, keyed by `id`.
std::vector<config::StreamSettings> preset_streams();

// Whether a value at `path` is a descriptor: its last step ends in "Descriptor" (Ed-Fi names
// every descriptor member so: "entryGradeLevelDescriptor", "/gradeLevels/*/gradeLevelDescriptor").
bool is_descriptor_path(std::string_view path);

}  // namespace ferry::connectors::edfi
