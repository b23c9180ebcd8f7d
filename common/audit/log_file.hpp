// The file side of the audit log: audit.log opened and locked, read line by line or from its end,
// and the audit.head record. Internal to common/audit.
//
// What the system does (open, lock, append durably, cut, read at an offset, the file's identity)
// is in log_file_posix.cpp (flock, O_APPEND, fdatasync, pread) and log_file_windows.cpp
// (LockFileEx, FlushFileBuffers, ReadFile at an offset); the rest is in log_file.cpp.
//
// Trimming replaces audit.log by rename while holding the lock (LockedFile::replace). On Linux the
// lock is on audit.log itself: a process that opened the old file and then waited for the lock
// would write into a file no longer in the folder, so LockedFile checks, once locked, that the
// path still names the file it holds, and reopens otherwise. On Windows, where a file that is open
// cannot be renamed over, the lock is on audit.log.lock, taken before audit.log is opened, and
// replace() closes audit.log before it renames the new file over it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/audit/entry_line.hpp"
#include "common/error/error.hpp"

namespace ferry::audit::detail {

using Offset = std::int64_t;

// What LockedFile::status() says of the open file: its size, and which file it is (device and
// inode; on Windows volume and file index), to tell a replaced file from the same one.
struct FileStatus {
  Offset size = 0;
  std::uint64_t volume = 0;
  std::uint64_t id = 0;
};

enum class LockMode {
  kShared,     // read-only: verify and read; kNotFound when the file is missing
  kExclusive,  // read-write with O_APPEND; the file is created (mode 0600) when missing
};

class LockedFile {
 public:
  static Result<LockedFile> open(const std::filesystem::path& path, LockMode mode);
  ~LockedFile();
  LockedFile(LockedFile&& other) noexcept;
  LockedFile& operator=(LockedFile&&) = delete;
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  Result<FileStatus> status() const;

  // Appends `text` (one write unless the system writes less) and syncs its data to disk.
  Result<void> append_durably(std::string_view text) const;
  // Cuts the file to `size` bytes (dropping a line a crash left incomplete).
  Result<void> truncate(Offset size) const;
  // Replaces the file with one holding `content` (fs::write_file_atomically, the replaced file's
  // permissions), keeping the lock; the LockedFile is not used after this.
  Result<void> replace(std::string_view content);
  // `size` bytes from `offset` (fewer when the file ends before).
  Result<std::string> read_range(Offset offset, Offset size) const;
  // Up to `size` bytes from `offset` into `into`; 0 at the end of the file.
  Result<std::size_t> read_at(char* into, std::size_t size, Offset offset) const;

 private:
  static constexpr std::intptr_t kNone = -1;
  LockedFile(std::intptr_t handle, std::filesystem::path path, std::intptr_t lock = kNone)
      : handle_(handle), lock_(lock), path_(std::move(path)) {}
  std::intptr_t handle_ = kNone;  // a file descriptor, or a HANDLE
  std::intptr_t lock_ = kNone;    // Windows: the handle of audit.log.lock
  std::filesystem::path path_;
};

struct Line {
  std::string text;          // without the '\n'; empty when too_long
  bool complete = true;      // false: the file ends without a '\n' after it
  bool too_long = false;     // longer than kMaxLineBytes
  std::uint64_t number = 0;  // 1-based
  Offset end = 0;            // offset just after the line's '\n'
};

// Reads a file line by line from the start, at offsets (LockedFile::read_at).
class LineReader {
 public:
  explicit LineReader(const LockedFile& file) : file_(file) {}
  // The next line; nullopt at the end of the file.
  Result<std::optional<Line>> next();

 private:
  Result<bool> fill();  // false at the end of the file
  const LockedFile& file_;
  std::string buffer_;
  std::size_t start_ = 0;
  Offset read_offset_ = 0;
  Offset line_offset_ = 0;
  std::uint64_t number_ = 0;
  bool eof_ = false;
};

// The end of a file of `size` bytes: where its complete lines end, and its last complete line.
struct Tail {
  Offset complete_size = 0;  // through the last '\n'; bytes after it are an incomplete line
  std::optional<std::string> last_line;  // nullopt: no complete line, or it is too long
  bool last_line_too_long = false;
};
Result<Tail> read_tail(const LockedFile& file, Offset size);

// audit.head: the chain point of the last entry written. Writing rewrites 128 bytes in place, not
// synced: the log line is synced first, so on disk the head is never ahead of the log.
Result<void> write_head(const std::filesystem::path& path, const ChainPoint& point);
// nullopt when the file does not exist; kCorrupt when it does not hold a head record.
Result<std::optional<ChainPoint>> read_head(const std::filesystem::path& path);

// The system side of the head record: `record` written over the file's first bytes (created for
// its owner only when missing), and up to `size` bytes from its start (nullopt: no such file).
Result<void> write_at_start(const std::filesystem::path& path, std::string_view record);
Result<std::optional<std::string>> read_start(const std::filesystem::path& path, std::size_t size);

}  // namespace ferry::audit::detail
