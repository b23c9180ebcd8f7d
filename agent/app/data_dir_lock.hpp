// One process at a time owns a data_dir (SPEC section 2): it holds an exclusive lock on
// <data_dir>/ferry.lock for as long as the DataDirLock lives. The lock is released by the kernel
// when the process dies, so a crash never leaves a stale lock behind.
#pragma once

#include <filesystem>

#include "common/error/error.hpp"

namespace ferry::app {

class DataDirLock {
 public:
  // Fails with kUnavailable, saying so plainly, when another process (a running agent) holds it.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);
  ~DataDirLock();
  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ferry::app
