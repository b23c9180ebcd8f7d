// Reading files from an SFTP server over an authenticated SshSession: listing a folder, finding
// the newest file a pattern matches, and downloading a whole file to a private local file with
// several reads in flight.
//
// libssh 0.10's blocking SFTP calls have no time limit of their own (a server that stops sending
// blocks a read for ever), and a session may be used only from its own thread. A download is
// therefore watched by a second thread that shuts the connection's socket down when no data has
// arrived for `read_timeout`, or when the caller's stop token fires: the blocked read then fails,
// and the download reports why. After a failed download the client is broken (`broken()`): make
// a new one. Like SshSession, an SftpClient belongs to the thread that opened it.
//
// Remote files are only read: nothing here writes, renames or deletes on the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"
#include "connectors/sftp/ssh_session.hpp"

struct sftp_session_struct;

namespace ferry::connectors::sftp {

struct RemoteFile {
  std::string path;  // as the server names it: folder + "/" + name
  std::uint64_t size = 0;
  std::int64_t mtime = 0;  // seconds since the epoch, as the server reports it
};

struct ReadOptions {
  // A download fails when no data arrives for this long.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};
  // Bytes per read request, and requests in flight (OpenSSH's server shortens reads above
  // 261,120 bytes; a short read is asked for again).
  std::uint32_t chunk_bytes = 32 * 1024;
  std::size_t in_flight = 64;
};

class SftpClient {
 public:
  // Starts the SFTP subsystem on `session`. Errors: kUnavailable.
  static Result<std::unique_ptr<SftpClient>> open(std::unique_ptr<SshSession> session,
                                                  Endpoint endpoint, ReadOptions options = {});
  ~SftpClient();
  SftpClient(const SftpClient&) = delete;
  SftpClient& operator=(const SftpClient&) = delete;

  // The regular file at `path`; nullopt when nothing is there. A folder or other non-file is
  // kInvalidArgument. Like list() and glob(), it fails with kUnavailable when the server does not
  // answer within read_timeout.
  Result<std::optional<RemoteFile>> stat(const std::string& path);

  // The regular files in `folder`, in no particular order.
  Result<std::vector<RemoteFile>> list(const std::string& folder);
  // The folders in `folder` (not . and ..), in no particular order.
  Result<std::vector<RemoteFile>> subfolders(const std::string& folder);

  // The regular files whose name matches the last part of `pattern` (fnmatch: * ? [..]; a
  // leading dot is matched only by a dot), newest modification time first (ties: the greater
  // name first). Wildcards are allowed in the last part only (kConfig otherwise).
  Result<std::vector<RemoteFile>> glob(const std::string& pattern);

  // Downloads `file` to `destination`, which must not exist: created mode 0600, and removed again
  // when the download fails. Exactly file.size bytes are read; a file that is shorter, or whose
  // size or modification time changed meanwhile, fails with kConflict (read it again once it
  // stopped changing). Returns the bytes written.
  Result<std::uint64_t> download(const RemoteFile& file, const std::filesystem::path& destination,
                                 std::stop_token stop = {});

  // A download failed, or the server stopped answering: the connection is in an unknown state.
  bool broken() const { return broken_; }

 private:
  SftpClient(std::unique_ptr<SshSession> session, sftp_session_struct* sftp, Endpoint endpoint,
             ReadOptions options);
  Error remote_error(std::string_view what, const std::string& path) const;
  // The regular files (or, with `folders`, the folders) in `folder`.
  Result<std::vector<RemoteFile>> list_entries(const std::string& folder, bool folders);
  // The watchdog closed a connection that stopped answering: marks the client broken.
  Error no_answer(std::string_view what, const std::string& path);

  std::unique_ptr<SshSession> session_;
  sftp_session_struct* sftp_;
  Endpoint endpoint_;
  ReadOptions options_;
  bool broken_ = false;
};

}  // namespace ferry::connectors::sftp
