// The files of one OneRoster export, wherever they are kept: a folder, or a .zip (flat, or with
// everything in one folder inside it). One object serves one pass over the export; make a new
// one for the next pass so that a replaced export is seen whole.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/error/error.hpp"
#include "connectors/files/byte_source.hpp"

namespace ferry::connectors::files {

struct OpenedFile {
  std::string name;  // as found: "users.csv", or "userprofiles.csv" for a userProfiles.csv asked
  std::unique_ptr<ByteSource> bytes;
};

class ExportFiles {
 public:
  virtual ~ExportFiles() = default;

  // Opens the file `name` ("users.csv"). The exact name wins; otherwise a name that differs only
  // in ASCII case is taken (exports made on Windows). Error kNotFound when there is neither.
  virtual Result<OpenedFile> open(std::string_view name) = 0;

  // Where the files are, for messages: "/srv/exports/oneroster" or "/srv/exports/or.zip".
  virtual std::string where() const = 0;
};

// The export at `path`: a folder, or a regular file read as a zip archive. Opens nothing yet;
// kNotFound / kPermission / kInvalidArgument when `path` is missing, unreadable or neither kind.
Result<std::unique_ptr<ExportFiles>> open_export(const std::filesystem::path& path);

}  // namespace ferry::connectors::files
