#include "connectors/sftp/sftp_client.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <fcntl.h>  // O_RDONLY, which sftp_open takes
#include <fmt/format.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "connectors/files/glob.hpp"
#include "connectors/sftp/sftp_system.hpp"

namespace ferry::connectors::sftp {
namespace {

struct AttributesFree {
  void operator()(sftp_attributes attributes) const { sftp_attributes_free(attributes); }
};
using AttributesPtr = std::unique_ptr<sftp_attributes_struct, AttributesFree>;

bool regular(const sftp_attributes_struct& attributes) {
  return attributes.type == SSH_FILEXFER_TYPE_REGULAR;
}

RemoteFile remote_file(std::string path, const sftp_attributes_struct& attributes) {
  return RemoteFile{.path = std::move(path),
                    .size = attributes.size,
                    .mtime = static_cast<std::int64_t>(attributes.mtime)};
}

std::string join(const std::string& folder, const std::string& name) {
  if (folder.empty() || folder == ".") return name;
  return folder.back() == '/' ? folder + name : folder + "/" + name;
}

// Shuts the connection's socket down when the caller's stop token fires or no data arrived for
// `idle`: the only way to end a blocked libssh 0.10 SFTP read, since the session belongs to the
// downloading thread. shutdown(2) touches only the kernel's socket, never libssh's state; the
// owning thread then sees the read fail and cleans up itself.
class Watchdog {
 public:
  enum class Fired { kNo, kIdle, kStopped };

  Watchdog(socket_t socket, std::chrono::milliseconds idle, std::stop_token stop)
      : socket_(socket), idle_(idle), last_(std::chrono::steady_clock::now()) {
    thread_ =
        std::jthread([this, stop = std::move(stop)](std::stop_token own) { watch(stop, own); });
  }
  ~Watchdog() {
    thread_.request_stop();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void progress() {
    std::lock_guard lock(mutex_);
    last_ = std::chrono::steady_clock::now();
  }
  Fired fired() const {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  void watch(const std::stop_token& caller, const std::stop_token& own) {
    // Wakes when the caller asks to stop, as well as at the deadline.
    std::stop_callback wake(caller, [this] { changed_.notify_all(); });
    std::unique_lock lock(mutex_);
    while (!own.stop_requested()) {
      if (caller.stop_requested()) {
        fire(Fired::kStopped);
        return;
      }
      const auto deadline = last_ + idle_;
      if (std::chrono::steady_clock::now() >= deadline) {
        fire(Fired::kIdle);
        return;
      }
      changed_.wait_until(lock, own, deadline, [&] { return caller.stop_requested(); });
    }
  }
  void fire(Fired why) {
    fired_ = why;
    shut_down(socket_);
  }

  const socket_t socket_;
  const std::chrono::milliseconds idle_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::chrono::steady_clock::time_point last_;
  Fired fired_ = Fired::kNo;
  std::jthread thread_;
};

struct Request {
  std::uint32_t id;
  std::uint64_t offset;
  std::uint32_t length;
};

// The one place that speaks libssh 0.10's asynchronous reads (0.11 replaces them with
// sftp_aio_begin_read / sftp_aio_wait_read). Each request names its own offset: sftp_seek64
// before sftp_async_read_begin, because 0.10 derives the next offset from the buffer size passed
// to sftp_async_read rather than from what was asked for.
class Reads {
 public:
  explicit Reads(sftp_file handle) : handle_(handle) {}
  ~Reads() = default;
  Reads(const Reads&) = delete;
  Reads& operator=(const Reads&) = delete;

  bool begin(std::uint64_t offset, std::uint32_t length) {
    if (sftp_seek64(handle_, offset) != 0) return false;
    const int id = sftp_async_read_begin(handle_, length);
    if (id < 0) return false;
    pending_.push_back({static_cast<std::uint32_t>(id), offset, length});
    return true;
  }
  bool empty() const { return pending_.empty(); }
  // Waits for the oldest request: its bytes (fewer than asked when the server shortened the
  // read), 0 at the end of the file, negative on error.
  int wait(Request& request, std::vector<char>& buffer) {
    request = pending_.front();
    pending_.pop_front();
    // The same length as requested: see above.
    return sftp_async_read(handle_, buffer.data(), request.length, request.id);
  }

 private:
  sftp_file handle_;
  std::deque<Request> pending_;
};

}  // namespace

Result<std::unique_ptr<SftpClient>> SftpClient::open(std::unique_ptr<SshSession> session,
                                                     Endpoint endpoint, ReadOptions options) {
  sftp_session sftp = sftp_new(session->handle());
  if (sftp == nullptr) {
    return make_error(ErrorCode::kUnavailable, "sftp {}: the server did not start SFTP: {}",
                      describe(endpoint), ssh_get_error(session->handle()));
  }
  if (sftp_init(sftp) != SSH_OK) {
    const std::string reason = ssh_get_error(session->handle());
    sftp_free(sftp);
    return make_error(ErrorCode::kUnavailable, "sftp {}: SFTP did not start: {}",
                      describe(endpoint), reason);
  }
  return std::unique_ptr<SftpClient>(
      new SftpClient(std::move(session), sftp, std::move(endpoint), options));
}

SftpClient::SftpClient(std::unique_ptr<SshSession> session, sftp_session_struct* sftp,
                       Endpoint endpoint, ReadOptions options)
    : session_(std::move(session)), sftp_(sftp), endpoint_(std::move(endpoint)), options_(options) {
  options_.chunk_bytes = std::clamp<std::uint32_t>(options_.chunk_bytes, 1024, 256 * 1024);
  options_.in_flight = std::clamp<std::size_t>(options_.in_flight, 1, 256);
}

SftpClient::~SftpClient() { sftp_free(sftp_); }

Error SftpClient::remote_error(std::string_view what, const std::string& path) const {
  const std::string where = describe(endpoint_);
  switch (sftp_get_error(sftp_)) {
    case SSH_FX_NO_SUCH_FILE:
    case SSH_FX_NO_SUCH_PATH:
      return Error{ErrorCode::kNotFound,
                   fmt::format("sftp {}: {} does not exist on the server", where, path)};
    case SSH_FX_PERMISSION_DENIED:
      return Error{ErrorCode::kPermission,
                   fmt::format("sftp {}: user '{}' may not read {} on the server", where,
                               endpoint_.user, path)};
    default:
      return Error{ErrorCode::kUnavailable, fmt::format("sftp {}: cannot {} {}: {}", where, what,
                                                        path, ssh_get_error(session_->handle()))};
  }
}

Error SftpClient::no_answer(std::string_view what, const std::string& path) {
  broken_ = true;
  return Error{ErrorCode::kUnavailable,
               fmt::format("sftp {}: no answer for {} ms to {} {} (read timeout): the connection "
                           "was closed",
                           describe(endpoint_), options_.read_timeout.count(), what, path)};
}

Result<std::optional<RemoteFile>> SftpClient::stat(const std::string& path) {
  Watchdog watchdog(ssh_get_fd(session_->handle()), options_.read_timeout, {});
  AttributesPtr attributes(sftp_stat(sftp_, path.c_str()));
  if (!attributes) {
    if (watchdog.fired() != Watchdog::Fired::kNo) return tl::unexpected(no_answer("stat", path));
    Error error = remote_error("stat", path);
    if (error.code == ErrorCode::kNotFound) return std::optional<RemoteFile>();
    return tl::unexpected(std::move(error));
  }
  if (!regular(*attributes)) {
    return make_error(ErrorCode::kInvalidArgument, "sftp {}: {} is not a file", describe(endpoint_),
                      path);
  }
  return std::optional<RemoteFile>(remote_file(path, *attributes));
}

Result<std::vector<RemoteFile>> SftpClient::list_entries(const std::string& folder, bool folders) {
  const std::string name = folder.empty() ? "." : folder;
  Watchdog watchdog(ssh_get_fd(session_->handle()), options_.read_timeout, {});
  sftp_dir dir = sftp_opendir(sftp_, name.c_str());
  if (dir == nullptr) {
    if (watchdog.fired() != Watchdog::Fired::kNo) return tl::unexpected(no_answer("list", name));
    return tl::unexpected(remote_error("list", name));
  }
  std::vector<RemoteFile> files;
  for (;;) {
    AttributesPtr entry(sftp_readdir(sftp_, dir));
    if (!entry) break;
    if (entry->name == nullptr) continue;
    const std::string_view entry_name = entry->name;
    const bool wanted = folders ? entry->type == SSH_FILEXFER_TYPE_DIRECTORY && entry_name != "." &&
                                      entry_name != ".."
                                : regular(*entry);
    if (wanted) files.push_back(remote_file(join(name, entry->name), *entry));
  }
  // readdir gives NULL both at the end and on an error; only the end sets eof.
  const bool complete = sftp_dir_eof(dir) == 1;
  sftp_closedir(dir);
  if (watchdog.fired() != Watchdog::Fired::kNo) return tl::unexpected(no_answer("list", name));
  if (!complete) return tl::unexpected(remote_error("list", name));
  return files;
}

Result<std::vector<RemoteFile>> SftpClient::list(const std::string& folder) {
  return list_entries(folder, false);
}

Result<std::vector<RemoteFile>> SftpClient::subfolders(const std::string& folder) {
  return list_entries(folder, true);
}

Result<std::vector<RemoteFile>> SftpClient::glob(const std::string& pattern) {
  const std::size_t slash = pattern.rfind('/');
  const std::string folder =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : pattern.substr(0, slash));
  const std::string name = slash == std::string::npos ? pattern : pattern.substr(slash + 1);
  if (folder.find_first_of("*?[") != std::string::npos) {
    return make_error(ErrorCode::kConfig,
                      "sftp path {}: wildcards are allowed in the file name only, not in its "
                      "folder",
                      pattern);
  }
  auto files = list(folder);
  if (!files) return tl::unexpected(files.error());
  std::vector<RemoteFile> matched;
  for (RemoteFile& file : *files) {
    const std::string base = file.path.substr(file.path.rfind('/') + 1);
    if (files::glob_match(name, base)) matched.push_back(std::move(file));
  }
  std::sort(matched.begin(), matched.end(), [](const RemoteFile& a, const RemoteFile& b) {
    return a.mtime != b.mtime ? a.mtime > b.mtime : a.path > b.path;
  });
  return matched;
}

Result<std::uint64_t> SftpClient::download(const RemoteFile& file,
                                           const std::filesystem::path& destination,
                                           std::stop_token stop) {
  const std::string where = describe(endpoint_);
  auto created = DownloadFile::create(destination);
  if (!created) return tl::unexpected(created.error());
  std::optional<DownloadFile> out(std::move(*created));
  // Every SFTP call below may block for ever on a silent server: the watchdog covers them all.
  Watchdog watchdog(ssh_get_fd(session_->handle()), options_.read_timeout, stop);
  Result<std::uint64_t> result = 0;
  sftp_file handle = sftp_open(sftp_, file.path.c_str(), O_RDONLY, 0);
  if (handle == nullptr) {
    result = tl::unexpected(remote_error("open", file.path));
  } else {
    Reads reads(handle);
    std::vector<char> buffer(options_.chunk_bytes);
    std::uint64_t next = 0;  // the first byte not yet asked for
    std::uint64_t received = 0;
    auto ask_next = [&] {
      const auto length = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(options_.chunk_bytes, file.size - next));
      if (!reads.begin(next, length)) return false;
      next += length;
      return true;
    };
    bool asked = true;
    for (std::size_t i = 0; asked && i < options_.in_flight && next < file.size; ++i) {
      asked = ask_next();
    }
    while (asked && !reads.empty()) {
      Request request{};
      const int got = reads.wait(request, buffer);
      if (got < 0) {
        asked = false;
        break;
      }
      if (got == 0) {
        result = make_error(ErrorCode::kConflict,
                            "sftp {}: {} ended at byte {} of {}: it changed while it was read; "
                            "the next run reads it again",
                            where, file.path, request.offset, file.size);
        break;
      }
      watchdog.progress();
      const auto length = static_cast<std::uint32_t>(got);
      if (auto wrote = out->write_at(buffer.data(), length, request.offset); !wrote) {
        result = tl::unexpected(wrote.error());
        break;
      }
      received += length;
      if (length < request.length) {
        // The server shortened the read: ask for the rest of this piece.
        asked = reads.begin(request.offset + length, request.length - length);
      } else if (next < file.size) {
        asked = ask_next();
      }
    }
    if (!asked) {
      result = make_error(ErrorCode::kUnavailable,
                          "sftp {}: reading {} failed after {} of {} "
                          "bytes: {}",
                          where, file.path, received, file.size, ssh_get_error(session_->handle()));
    } else if (result) {
      result = received == file.size
                   ? Result<std::uint64_t>(received)
                   : make_error(ErrorCode::kInternal, "sftp {}: {}: {} of {} bytes read", where,
                                file.path, received, file.size);
    }
    if (result) {
      // Whole only if the server's file did not change meanwhile (an upload still under way).
      AttributesPtr now(sftp_fstat(handle));
      if (!now) {
        result = tl::unexpected(remote_error("stat", file.path));
      } else if (now->size != file.size || static_cast<std::int64_t>(now->mtime) != file.mtime) {
        result = make_error(ErrorCode::kConflict,
                            "sftp {}: {} changed while it was read (size {}, now {}): the next "
                            "run reads it once it stops changing",
                            where, file.path, file.size, now->size);
      }
    }
    // On a connection the watchdog shut down, the close fails at once; it still frees the handle.
    sftp_close(handle);
  }
  const Watchdog::Fired fired = watchdog.fired();
  if (fired == Watchdog::Fired::kIdle) {
    result = make_error(ErrorCode::kUnavailable,
                        "sftp {}: no data for {} ms while reading {} (read timeout): the "
                        "connection was closed; the next run starts the file again",
                        where, options_.read_timeout.count(), file.path);
  } else if (fired == Watchdog::Fired::kStopped) {
    result =
        make_error(ErrorCode::kUnavailable, "sftp {}: reading {} was stopped", where, file.path);
  }
  if (!result) broken_ = true;
  out.reset();
  if (!result) {
    std::error_code ignored;
    std::filesystem::remove(destination, ignored);
  }
  return result;
}

}  // namespace ferry::connectors::sftp
