#include "common/audit/log_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/json/parse.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/audit/audit_log.hpp"

namespace ferry::audit::detail {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kHeadRecordSize = 128;
constexpr int kMaxReopens = 100;

std::string errno_text(int error) { return std::strerror(error); }

tl::unexpected<Error> os_error(std::string_view what, const std::filesystem::path& path,
                               int error) {
  const ErrorCode code = error == ENOENT   ? ErrorCode::kNotFound
                         : error == EACCES ? ErrorCode::kPermission
                                           : ErrorCode::kIo;
  return make_error(code, "cannot {} {}: {}", what, path.string(), errno_text(error));
}

Result<void> sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("open folder", dir, errno);
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) return os_error("sync folder", dir, error);
  return {};
}

// Opens the log for `mode`; a newly created file's folder entry is synced, so that a log that was
// written and synced cannot vanish in a power cut.
Result<int> open_descriptor(const std::filesystem::path& path, LockMode mode) {
  if (mode == LockMode::kShared) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error("read", path, errno);
    return fd;
  }
  const int flags = O_RDWR | O_APPEND | O_CLOEXEC;
  int fd = ::open(path.c_str(), flags);
  if (fd >= 0) return fd;
  if (errno != ENOENT) return os_error("open", path, errno);
  fd = ::open(path.c_str(), flags | O_CREAT, 0600);
  if (fd < 0) return os_error("create", path, errno);
  std::filesystem::path dir = path.parent_path();
  if (auto synced = sync_dir(dir.empty() ? "." : dir); !synced) {
    ::close(fd);
    return tl::unexpected(synced.error());
  }
  return fd;
}

Result<void> lock(int fd, LockMode mode, const std::filesystem::path& path) {
  while (::flock(fd, mode == LockMode::kShared ? LOCK_SH : LOCK_EX) != 0) {
    if (errno != EINTR) return os_error("lock", path, errno);
  }
  return {};
}

// True when `path` still names the file open as `fd`.
Result<bool> still_at_path(int fd, const std::filesystem::path& path) {
  struct stat held {};
  struct stat named {};
  if (::fstat(fd, &held) != 0) return os_error("read the status of", path, errno);
  if (::stat(path.c_str(), &named) != 0) {
    if (errno == ENOENT) return false;
    return os_error("read the status of", path, errno);
  }
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace

Result<LockedFile> LockedFile::open(const std::filesystem::path& path, LockMode mode) {
  for (int attempt = 0; attempt < kMaxReopens; ++attempt) {
    auto fd = open_descriptor(path, mode);
    if (!fd) return tl::unexpected(fd.error());
    LockedFile file(*fd, path);
    if (auto locked = lock(*fd, mode, path); !locked) return tl::unexpected(locked.error());
    auto current = still_at_path(*fd, path);
    if (!current) return tl::unexpected(current.error());
    if (*current) return file;
    // Replaced (trimmed) or removed while we waited for the lock: open what the path names now.
  }
  return make_error(ErrorCode::kIo,
                    "{} kept being replaced while it was opened: is something "
                    "other than Ferry rewriting it?",
                    path.string());
}

LockedFile::~LockedFile() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

LockedFile::LockedFile(LockedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

Result<struct stat> LockedFile::status() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return os_error("read the status of", path_, errno);
  return info;
}

Result<void> LockedFile::append_durably(std::string_view text) const {
  while (!text.empty()) {
    const ssize_t written = ::write(fd_, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return os_error("append to", path_, errno);
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fdatasync(fd_) != 0) return os_error("sync", path_, errno);
  return {};
}

Result<void> LockedFile::truncate(off_t size) const {
  if (::ftruncate(fd_, size) != 0) return os_error("cut the incomplete last line of", path_, errno);
  if (::fdatasync(fd_) != 0) return os_error("sync", path_, errno);
  return {};
}

Result<std::string> LockedFile::read_range(off_t offset, off_t size) const {
  std::string content(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t got = ::pread(fd_, content.data() + done, content.size() - done,
                                offset + static_cast<off_t>(done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return os_error("read", path_, errno);
    }
    if (got == 0) break;  // shorter than expected: someone cut the file; return what is there
    done += static_cast<std::size_t>(got);
  }
  content.resize(done);
  return content;
}

Result<bool> LineReader::fill() {
  if (eof_) return false;
  buffer_.erase(0, start_);
  start_ = 0;
  const std::size_t old_size = buffer_.size();
  buffer_.resize(old_size + kReadChunk);
  ssize_t got = 0;
  do {
    got = ::pread(fd_, buffer_.data() + old_size, kReadChunk, read_offset_);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    buffer_.resize(old_size);
    return os_error("read", path_, errno);
  }
  buffer_.resize(old_size + static_cast<std::size_t>(got));
  read_offset_ += got;
  if (got == 0) eof_ = true;
  return got > 0;
}

Result<std::optional<Line>> LineReader::next() {
  bool too_long = false;
  for (;;) {
    const std::size_t newline = buffer_.find('\n', start_);
    if (newline != std::string::npos) {
      Line line;
      line.number = ++number_;
      const std::size_t length = newline - start_;
      line.too_long = too_long || length > kMaxLineBytes;
      if (!line.too_long) line.text = buffer_.substr(start_, length);
      line_offset_ += static_cast<off_t>(length + 1);
      line.end = line_offset_;
      start_ = newline + 1;
      return line;
    }
    if (buffer_.size() - start_ > kMaxLineBytes) {
      // An overlong line: keep only the fact, not its bytes, until its end.
      too_long = true;
      line_offset_ += static_cast<off_t>(buffer_.size() - start_);
      start_ = buffer_.size();
    }
    auto more = fill();
    if (!more) return tl::unexpected(more.error());
    if (*more) continue;
    if (start_ == buffer_.size() && !too_long) return std::optional<Line>();
    Line line;
    line.number = ++number_;
    line.complete = false;
    line.too_long = too_long;
    if (!too_long) line.text = buffer_.substr(start_);
    line_offset_ += static_cast<off_t>(buffer_.size() - start_);
    line.end = line_offset_;
    start_ = buffer_.size();
    return line;
  }
}

Result<Tail> read_tail(const LockedFile& file, off_t size) {
  // Our lines are at most kMaxLineBytes, so the last complete line and anything a crash left after
  // it fit in this window; a file whose end does not is not an audit log we wrote.
  const off_t window_size = std::min<off_t>(size, 2 * static_cast<off_t>(kMaxLineBytes) + 2);
  const off_t window_start = size - window_size;
  auto window = file.read_range(window_start, window_size);
  if (!window) return tl::unexpected(window.error());
  Tail tail;
  const std::size_t last_newline = window->rfind('\n');
  if (last_newline == std::string::npos) {
    if (window_start == 0) return tail;  // no complete line at all
    return make_error(ErrorCode::kCorrupt,
                      "{} does not end in audit entries (no line break in its last {} bytes): "
                      "move it aside, keep it as evidence, and restart the agent",
                      file.path().string(), window_size);
  }
  tail.complete_size = window_start + static_cast<off_t>(last_newline) + 1;
  const std::size_t before =
      last_newline == 0 ? std::string::npos : window->rfind('\n', last_newline - 1);
  if (before == std::string::npos && window_start != 0) {
    tail.last_line_too_long = true;
    return tail;
  }
  const std::size_t begin = before == std::string::npos ? 0 : before + 1;
  if (last_newline - begin > kMaxLineBytes) {
    tail.last_line_too_long = true;
    return tail;
  }
  tail.last_line = window->substr(begin, last_newline - begin);
  return tail;
}

Result<void> write_head(const std::filesystem::path& path, const ChainPoint& point) {
  std::string record = fmt::format(R"({{"seq":{},"hash":"{}"}})", point.seq, point.hash);
  record.resize(kHeadRecordSize - 1, ' ');
  record.push_back('\n');
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return os_error("open", path, errno);
  const ssize_t written = ::pwrite(fd, record.data(), record.size(), 0);
  const int error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(record.size())) return os_error("write", path, error);
  return {};
}

Result<std::optional<ChainPoint>> read_head(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<ChainPoint>();
    return os_error("read", path, errno);
  }
  std::string record(kHeadRecordSize, '\0');
  const ssize_t got = ::pread(fd, record.data(), record.size(), 0);
  const int error = errno;
  ::close(fd);
  if (got < 0) return os_error("read", path, error);
  record.resize(static_cast<std::size_t>(got));
  record.resize(std::min(record.size(), record.find('\n')));
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(record, ec);
  const auto* object = ec ? nullptr : root.if_object();
  const auto seq = read_positive(object == nullptr ? nullptr : object->if_contains("seq"));
  const auto* hash = object == nullptr ? nullptr : object->if_contains("hash");
  if (!seq || hash == nullptr || !hash->is_string() || !is_hash(hash->get_string())) {
    return make_error(ErrorCode::kCorrupt, "{} does not hold a head record", path.string());
  }
  return ChainPoint{*seq, std::string(hash->get_string())};
}

}  // namespace ferry::audit::detail
