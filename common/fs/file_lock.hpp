// A lock on a lock file, held while the FileLock lives; the system releases it when the process
// dies, so a crash never leaves a stale lock behind. Advisory: it keeps out those who take it too
// (the agent's own processes), nothing else.
//
// Linux: flock(LOCK_EX) on the file. Windows: LockFileEx on one byte far past the file's end, so
// that the lock (mandatory there) never blocks reading or writing the file itself.
// One file per system: file_lock_posix.cpp, file_lock_windows.cpp.
#pragma once

#include <cstdint>
#include <filesystem>

#include "common/error/error.hpp"

namespace ferry::fs {

class FileLock {
 public:
  enum class Wait { kUntilFree, kNot };

  // Opens (creating it for its owner only when missing) and locks `path`. With Wait::kNot, a lock
  // another process holds is kUnavailable at once; other failures are kIo naming the path.
  static Result<FileLock> exclusive(const std::filesystem::path& path, Wait wait);

  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(std::intptr_t handle) : handle_(handle) {}
  static constexpr std::intptr_t kNone = -1;
  std::intptr_t handle_ = kNone;  // a file descriptor, or a HANDLE
};

}  // namespace ferry::fs
