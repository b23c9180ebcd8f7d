// The file-system seam: the operations on the agent's own files (its data_dir: the spool's files,
// scratch folders) go through a FileSystem, so that fault tests can make one of them fail (a
// full disk, a rename refused, a folder that cannot be made) without breaking a real disk
// (LevelDB's Env is the model). RealFileSystem is std::filesystem; tests derive from it and
// fail the operation they are about.
//
// Errors are values with the path and the system's reason; never a row value.
//
// Threads: the real one is safe to use from any thread.
#pragma once

#include <filesystem>

#include "common/error/error.hpp"

namespace ferry::env {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<bool> exists(const std::filesystem::path& path) const = 0;
  // Makes `path` and its missing parents.
  virtual Result<void> create_directories(const std::filesystem::path& path) const = 0;
  // Removes `path` and everything in it; nothing there is fine.
  virtual Result<void> remove_all(const std::filesystem::path& path) const = 0;
  // Renames within one file system (atomic on POSIX).
  virtual Result<void> rename(const std::filesystem::path& from,
                              const std::filesystem::path& to) const = 0;
  // Owner only: rwx for a folder, rw for a file (0700 / 0600).
  virtual Result<void> make_private(const std::filesystem::path& path) const = 0;
};

class RealFileSystem : public FileSystem {
 public:
  Result<bool> exists(const std::filesystem::path& path) const override;
  Result<void> create_directories(const std::filesystem::path& path) const override;
  Result<void> remove_all(const std::filesystem::path& path) const override;
  Result<void> rename(const std::filesystem::path& from,
                      const std::filesystem::path& to) const override;
  Result<void> make_private(const std::filesystem::path& path) const override;
};

// The process's real file system.
const FileSystem& real_file_system();

}  // namespace ferry::env
