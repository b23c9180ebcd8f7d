// An export kept as plain files in one folder.
#pragma once

#include <filesystem>

#include "connectors/files/export_files.hpp"

namespace ferry::connectors::files {

class FolderExport final : public ExportFiles {
 public:
  explicit FolderExport(std::filesystem::path folder) : folder_(std::move(folder)) {}

  Result<OpenedFile> open(std::string_view name) override;
  std::string where() const override { return folder_.string(); }

 private:
  std::filesystem::path folder_;
};

}  // namespace ferry::connectors::files
