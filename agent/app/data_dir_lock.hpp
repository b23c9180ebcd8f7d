// One process at a time owns a data_dir (SPEC section 2): it holds an exclusive lock on
// <data_dir>/ferry.lock (fs::FileLock) for as long as the DataDirLock lives. The lock is released
// by the system when the process dies, so a crash never leaves a stale lock behind.
#pragma once

#include <filesystem>
#include <utility>

#include "common/error/error.hpp"
#include "common/fs/file_lock.hpp"

namespace ferry::app {

class DataDirLock {
 public:
  // Fails with kUnavailable, saying so plainly, when another process (a running agent) holds it.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);

 private:
  explicit DataDirLock(fs::FileLock lock) : lock_(std::move(lock)) {}
  fs::FileLock lock_;
};

}  // namespace ferry::app
