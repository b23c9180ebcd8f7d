#include "connectors/files/export_files.hpp"

#include <system_error>

#include "common/error/path_text.hpp"
#include "connectors/files/file_source.hpp"
#include "connectors/files/folder_export.hpp"
#include "connectors/files/zip_export.hpp"

namespace ferry::connectors::files {

Result<std::unique_ptr<ExportFiles>> open_export(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return make_error(ErrorCode::kNotFound,
                      "path {} does not exist: set path to the folder or .zip file that holds "
                      "manifest.csv, or check that the export has been copied there",
                      path_text(path));
  }
  if (error) {
    return make_error(ErrorCode::kIo, "cannot look at path {}: {}", path_text(path),
                      error.message());
  }
  const bool folder = std::filesystem::is_directory(status);
  if (!folder && !std::filesystem::is_regular_file(status)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "path {} is neither a folder nor a file: set path to the folder or .zip "
                      "file that holds manifest.csv",
                      path_text(path));
  }
  if (auto fix = read_permission_fix(path, folder)) {
    return make_error(ErrorCode::kPermission,
                      "{} {} is not readable by this user: let the ferry service user read it "
                      "({})",
                      folder ? "folder" : "file", path_text(path), *fix);
  }
  if (folder) return std::unique_ptr<ExportFiles>(std::make_unique<FolderExport>(path));
  return std::unique_ptr<ExportFiles>(std::make_unique<ZipExport>(path));
}

}  // namespace ferry::connectors::files
