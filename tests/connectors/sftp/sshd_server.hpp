// OpenSSH's own sshd (Debian's openssh-server) for the SFTP tests, on 127.0.0.1: no mock server.
//
// The test's listener takes each connection on a port the kernel chose, and starts one
// `sshd -i` for it (as inetd would): no port is guessed, reserved or reused. Everything sshd
// reads is in a temporary folder: its configuration, its host key, the authorized_keys file, and
// the log (LogLevel DEBUG1, which records each authentication request, so a test can tell that a
// client stopped before authenticating).
//
// The client logs in as `ferry-sftp`, a user that exists only for sshd: each sshd runs in a mount
// namespace of its own (unshare --mount) where copies of /etc/passwd and /etc/shadow carrying
// that user, with a known password, are mounted over the real ones. Nothing on the machine
// changes. That takes root (sshd -i as root, privilege separation included), as CI runs; the
// tests skip, and say why, where it cannot be had.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "tests/support/temp_dir.hpp"

namespace ferry::test {

class SshdServer {
 public:
  // Why an sshd cannot run here (not installed, not root, no mount namespaces), or nullopt.
  static std::optional<std::string> unavailable();

  // Starts listening; sshd starts per connection. Call only when unavailable() is nullopt.
  SshdServer();
  ~SshdServer();
  SshdServer(const SshdServer&) = delete;
  SshdServer& operator=(const SshdServer&) = delete;

  std::uint16_t port() const { return port_; }
  static constexpr const char* kUser = "ferry-sftp";
  static constexpr const char* kPassword = "correct horse battery staple";

  // The server's host key, as `ssh-keygen -lf` prints its fingerprint, and as a known_hosts line
  // for 127.0.0.1 on port().
  const std::string& host_key_fingerprint() const { return host_fingerprint_; }
  std::string known_hosts_line() const;

  // A new ed25519 key pair in the folder; with `authorized`, its public half goes into the
  // user's authorized_keys. Returns the private key's path (mode 0600, owned by the test's user).
  std::filesystem::path make_client_key(const std::string& name, bool authorized,
                                        const std::string& passphrase = "");

  // A folder the SFTP user may read, for exports.
  std::filesystem::path files() const { return dir_ / "files"; }
  const TempDir& dir() const { return dir_; }

  // sshd's log of every connection so far.
  std::string log() const;
  int connections() const { return connections_.load(); }

 private:
  void accept_loop();

  TempDir dir_;
  std::string host_fingerprint_;
  std::string host_public_key_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::atomic<int> connections_{0};
  std::mutex children_mutex_;
  std::vector<pid_t> children_;
};

}  // namespace ferry::test
