// What an export looks like from its file names, for the message a connector gives when it is
// pointed at an export of another kind: "manifest.csv is not in /srv/clever: this looks like a
// Clever export (schools.csv, students.csv, teachers.csv): read it with type: csv ...".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ferry::connectors::files {

struct Recognised {
  std::string what;  // "a Clever export (schools.csv, students.csv, teachers.csv)"
  std::string how;   // "type: csv, preset: clever (docs/connectors/csv.md)"
  std::string type;  // the source type that reads it: "oneroster_csv", "csv"
  std::string preset;  // with the preset: "clever", "sds"; "" for none
};

// Recognises a OneRoster export (manifest.csv), Clever's SFTP files, and Microsoft School Data
// Sync v1 and v2.1 files, by names compared ignoring ASCII case (base names; folders ignored).
// nullopt for anything else.
std::optional<Recognised> recognise_export(const std::vector<std::string>& names);

// The same for the regular files of a local folder (nullopt when it cannot be listed).
std::optional<Recognised> recognise_folder(const std::filesystem::path& folder);

}  // namespace ferry::connectors::files
