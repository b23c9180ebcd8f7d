// An SSH connection to an SFTP server (libssh 0.10), made the one way Ferry accepts:
//  1. connect with a time limit, reading no ssh_config, ssh-agent or ~/.ssh file: everything comes
//     from the source's settings;
//  2. check the server's host key against the pin (host_key: "SHA256:...", as `ssh-keygen -lf`
//     prints it) or the known_hosts file the source names. An unknown or different key is refused
//     before anything about the user is sent, and the message names the key offered and how to
//     pin it. A key is never trusted on first use, and known_hosts is never written;
//  3. authenticate with the source's private key (read with the key file's checks) or password.
//
// A session belongs to the thread that opened it (libssh's rule): every call on it, and its
// destruction, happen on that thread.
// Every libssh pitfall avoided is named where it is avoided (ssh_session.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/error/error.hpp"

struct ssh_session_struct;

namespace ferry::connectors::sftp {

struct Endpoint {
  std::string host;
  std::uint16_t port = 22;
  std::string user;
};

// "host:port", with brackets around an IPv6 address: for messages.
std::string describe(const Endpoint& endpoint);

// How the server's host key is checked: exactly one of the two is set (the configuration
// refuses a source with neither).
struct HostKeyPin {
  std::string fingerprint;                 // "SHA256:<base64 without padding>"
  std::filesystem::path known_hosts_file;  // OpenSSH's format; hashed names are understood
};

struct Credentials {
  // A private key file (OpenSSH or PEM format: ed25519, ECDSA, RSA of 2048 bits or more), read
  // with the key file's checks (no access for others; root:<service group> 0640 allowed).
  std::optional<std::filesystem::path> private_key_file;
  std::optional<std::string> passphrase;  // for an encrypted private key
  std::optional<std::string> password;    // password authentication instead of a key
};

struct ConnectOptions {
  Endpoint endpoint;
  HostKeyPin pin;
  Credentials credentials;
  // Bounds the TCP connect, the key exchange and each authentication step.
  std::chrono::seconds timeout{30};
  // For the key file's ownership checks (the data_dir, which the service account owns).
  std::filesystem::path service_dir;
};

// The host key a server offers, as an admin compares it with the vendor's.
struct OfferedKey {
  std::string type;         // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"
  std::string fingerprint;  // "SHA256:..."
};

class SshSession {
 public:
  // Connects, checks the host key, authenticates. Errors: kUnavailable (cannot connect; retrying
  // may help), kAuth (the host key does not match the pin, or the server refused the
  // credentials), kConfig / kNotFound / kPermission (a key file that is missing, encrypted
  // without a passphrase, or readable by others).
  // `refused_host_key`, when given, is set to the key the server offered when that key is what
  // was refused (no pin, or not the pinned one): an event to audit, unlike a refused password.
  static Result<std::unique_ptr<SshSession>> open(
      const ConnectOptions& options, std::optional<OfferedKey>* refused_host_key = nullptr);

  // Connects and reports the server's host key, without checking it or authenticating: what
  // `ferry check` shows for a source whose key is not pinned yet.
  static Result<OfferedKey> probe_host_key(const Endpoint& endpoint, std::chrono::seconds timeout);

  ~SshSession();
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  const OfferedKey& host_key() const { return host_key_; }
  // The libssh session, for the SFTP layer on the same thread.
  ssh_session_struct* handle() const { return session_; }

 private:
  SshSession(ssh_session_struct* session, OfferedKey host_key)
      : session_(session), host_key_(std::move(host_key)) {}

  ssh_session_struct* session_;
  OfferedKey host_key_;
};

}  // namespace ferry::connectors::sftp
