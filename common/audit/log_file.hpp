// The file side of the audit log: audit.log opened and locked with flock, read line by line or
// from its end, and the audit.head record. Internal to common/audit.
//
// Trimming replaces audit.log by rename while holding the lock on the old file. A process that
// opened the old file and then waited for the lock would write into a file no longer in the folder,
// so LockedFile checks, once locked, that the path still names the file it holds, and reopens
// otherwise.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <sys/stat.h>
#include <sys/types.h>

#include "common/audit/entry_line.hpp"
#include "common/error/error.hpp"

namespace ferry::audit::detail {

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

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  Result<struct stat> status() const;

  // Appends `text` with write() (one call unless the kernel writes less) and fdatasync()s it.
  Result<void> append_durably(std::string_view text) const;
  // Cuts the file to `size` bytes (dropping a line a crash left incomplete).
  Result<void> truncate(off_t size) const;
  // `size` bytes from `offset`.
  Result<std::string> read_range(off_t offset, off_t size) const;

 private:
  LockedFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};

struct Line {
  std::string text;          // without the '\n'; empty when too_long
  bool complete = true;      // false: the file ends without a '\n' after it
  bool too_long = false;     // longer than kMaxLineBytes
  std::uint64_t number = 0;  // 1-based
  off_t end = 0;             // offset just after the line's '\n'
};

// Reads a file line by line from the start with pread (the descriptor's offset is not used).
class LineReader {
 public:
  explicit LineReader(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  // The next line; nullopt at the end of the file.
  Result<std::optional<Line>> next();

 private:
  Result<bool> fill();  // false at the end of the file
  int fd_;
  std::filesystem::path path_;
  std::string buffer_;
  std::size_t start_ = 0;
  off_t read_offset_ = 0;
  off_t line_offset_ = 0;
  std::uint64_t number_ = 0;
  bool eof_ = false;
};

// The end of a file of `size` bytes: where its complete lines end, and its last complete line.
struct Tail {
  off_t complete_size = 0;  // through the last '\n'; bytes after it are an incomplete line
  std::optional<std::string> last_line;  // nullopt: no complete line, or it is too long
  bool last_line_too_long = false;
};
Result<Tail> read_tail(const LockedFile& file, off_t size);

// audit.head: the chain point of the last entry written. Writing rewrites 128 bytes in place, not
// synced: the log line is synced first, so on disk the head is never ahead of the log.
Result<void> write_head(const std::filesystem::path& path, const ChainPoint& point);
// nullopt when the file does not exist; kCorrupt when it does not hold a head record.
Result<std::optional<ChainPoint>> read_head(const std::filesystem::path& path);

}  // namespace ferry::audit::detail
