// An export kept in a zip file: its files flat at the top, or all in the folder inside the zip
// that holds manifest.csv (the shallowest one; macOS "__MACOSX/" copies are ignored). Entries are
// read as streams, never unpacked to disk or into memory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "connectors/files/export_files.hpp"

namespace ferry::connectors::files {

class ZipExport final : public ExportFiles {
 public:
  explicit ZipExport(std::filesystem::path zip) : zip_(std::move(zip)) {}

  Result<OpenedFile> open(std::string_view name) override;
  std::string where() const override { return zip_.string(); }

 private:
  Result<void> list();

  std::filesystem::path zip_;
  bool listed_ = false;
  std::vector<std::string> entries_;  // paths of the regular files in the zip
  std::string folder_;                // "" or "export-2026-05-01/": where manifest.csv is
};

}  // namespace ferry::connectors::files
