// manifest.csv of a OneRoster 1.0/1.1/1.2 CSV export: rows of propertyName,value. The rows
// `file.<name>` say for each file whether the export carries it in full (bulk), as changes only
// (delta), or not at all (absent; an empty value counts as absent too). Other properties
// (manifest.version, source.systemName, ...) are read where useful and otherwise ignored, and so
// is a misspelt property such as "fiel.demographics": it names no file we could read.
#pragma once

#include <string>
#include <vector>

#include "common/error/error.hpp"
#include "connectors/files/byte_source.hpp"

namespace ferry::connectors::oneroster_csv {

enum class FileMode { kBulk, kDelta };

struct ManifestFile {
  std::string stream;  // "users": the part after "file.", [A-Za-z0-9._-]+
  FileMode mode = FileMode::kBulk;

  std::string file_name() const { return stream + ".csv"; }
};

struct Manifest {
  std::string oneroster_version;    // "1.1", "1.2", or "" when the manifest does not say
  std::vector<ManifestFile> files;  // bulk and delta files, in the manifest's order
};

// Reads the whole manifest from `bytes`. Errors (kCorrupt) point at "manifest.csv:<line>" and say
// the fix: a header other than propertyName,value, a malformed row, a file mode other than bulk,
// delta or absent, a file name that is not a plain name, or a file listed twice.
Result<Manifest> parse_manifest(files::ByteSource& bytes);

}  // namespace ferry::connectors::oneroster_csv
