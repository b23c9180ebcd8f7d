#include "connectors/sftp/ssh_session.hpp"

#include <string_view>

#include <fmt/format.h>
#include <libssh/libssh.h>
#include <openssl/crypto.h>

#include "common/error/path_text.hpp"
#include "common/fs/secret_file.hpp"
#include "connectors/sftp/sftp_system.hpp"

namespace ferry::connectors::sftp {
namespace {

struct SessionFree {
  void operator()(ssh_session session) const {
    ssh_disconnect(session);
    ssh_free(session);
  }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionFree>;

struct KeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyFree>;

constexpr std::size_t kMaxKeyFileSize = 64 * 1024;
// Host and user keys: RSA below 2048 bits is refused (libssh's default minimum is 1024).
constexpr int kRsaMinBits = 2048;
// What libssh reads while connecting when it is given no known_hosts file: nothing.
constexpr const char* kNoFile = "/dev/null";

std::string libssh_error(ssh_session session) {
  const char* text = ssh_get_error(session);
  return text != nullptr && *text != '\0' ? text : "no reason given";
}

// A session with every setting from `endpoint` and none from the machine's SSH files.
Result<SessionPtr> new_session(const Endpoint& endpoint, std::chrono::seconds timeout,
                               const std::string& known_hosts) {
  if (endpoint.host.empty() || endpoint.host.find('@') != std::string::npos) {
    return make_error(ErrorCode::kConfig, "sftp host '{}' is not a host name or address",
                      endpoint.host);
  }
  SessionPtr session(ssh_new());
  if (!session) return make_error(ErrorCode::kInternal, "libssh could not make a session");
  auto set = [&](ssh_options_e option, const void* value, std::string_view what) -> Result<void> {
    if (ssh_options_set(session.get(), option, value) != SSH_OK) {
      return make_error(ErrorCode::kConfig, "sftp {}: libssh refused the {}: {}",
                        describe(endpoint), what, libssh_error(session.get()));
    }
    return {};
  };
  // First: with config processing on, ssh_connect reads ~/.ssh/config and /etc/ssh/ssh_config
  // and (libssh 0.10) lets them override what is set here, StrictHostKeyChecking included.
  const bool process_config = false;
  const int port = endpoint.port;
  const long seconds = static_cast<long>(timeout.count());  // libssh reads a long
  const int strict = 1;  // with 0, a host missing from known_hosts would count as known
  const int quiet = SSH_LOG_NOLOG;
  const int rsa_min_bits = kRsaMinBits;
  Result<void> done = set(SSH_OPTIONS_PROCESS_CONFIG, &process_config, "setting");
  if (done) done = set(SSH_OPTIONS_LOG_VERBOSITY, &quiet, "log level");
  if (done) done = set(SSH_OPTIONS_HOST, endpoint.host.c_str(), "host");
  if (done) done = set(SSH_OPTIONS_PORT, &port, "port");
  if (done && !endpoint.user.empty()) done = set(SSH_OPTIONS_USER, endpoint.user.c_str(), "user");
  if (done) done = set(SSH_OPTIONS_TIMEOUT, &seconds, "timeout");
  if (done) done = set(SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict, "host key checking");
  // Both files: the global one defaults to /etc/ssh/ssh_known_hosts.
  if (done) done = set(SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str(), "known_hosts file");
  if (done) done = set(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, known_hosts.c_str(), "known_hosts file");
  if (done) done = set(SSH_OPTIONS_RSA_MIN_SIZE, &rsa_min_bits, "RSA key size");
  if (!done) return tl::unexpected(done.error());
  return session;
}

// TCP keepalive on the connection: a NAT or firewall that drops idle connections is kept aware
// of a long download's connection, and a peer that vanished is noticed by the kernel. libssh 0.10
// sends no SSH-level keepalive by itself; a silent server is caught by the download watchdog
// (sftp_client.cpp) within the read timeout.
void keep_alive(ssh_session session) {
  const socket_t socket = ssh_get_fd(session);
  if (socket != SSH_INVALID_SOCKET) sftp::keep_alive(socket);
}

Result<void> connect(ssh_session session, const Endpoint& endpoint) {
  if (ssh_connect(session) != SSH_OK) {
    return make_error(ErrorCode::kUnavailable, "cannot connect to sftp {}: {}", describe(endpoint),
                      libssh_error(session));
  }
  keep_alive(session);
  return {};
}

Result<OfferedKey> offered_key(ssh_session session, const Endpoint& endpoint) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session, &raw) != SSH_OK) {
    return make_error(ErrorCode::kUnavailable, "sftp {} sent no host key: {}", describe(endpoint),
                      libssh_error(session));
  }
  KeyPtr key(raw);
  unsigned char* hash = nullptr;
  std::size_t length = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != 0) {
    return make_error(ErrorCode::kInternal, "sftp {}: cannot hash the host key",
                      describe(endpoint));
  }
  // "SHA256:" and unpadded base64: the token `ssh-keygen -lf` prints.
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) {
    return make_error(ErrorCode::kInternal, "sftp {}: cannot print the host key's fingerprint",
                      describe(endpoint));
  }
  OfferedKey offered;
  offered.fingerprint = text;
  ssh_string_free_char(text);
  const char* type = ssh_key_type_to_char(ssh_key_type(key.get()));
  offered.type = type != nullptr ? type : "unknown";
  return offered;
}

// The line known_hosts would need for this server, for the message that says how to pin it.
std::string known_hosts_line(ssh_session session) {
  char* line = nullptr;
  if (ssh_session_export_known_hosts_entry(session, &line) != SSH_OK || line == nullptr) return "";
  std::string text = line;
  ssh_string_free_char(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

Result<void> check_host_key(ssh_session session, const ConnectOptions& options,
                            const OfferedKey& offered) {
  const std::string where = describe(options.endpoint);
  const HostKeyPin& pin = options.pin;
  if (!pin.fingerprint.empty()) {
    if (offered.fingerprint == pin.fingerprint) return {};
    return make_error(
        ErrorCode::kAuth,
        "sftp {} offered host key {} {}, not the pinned {}: the server's key changed, "
        "or this is not the server meant. Nothing was sent or read. Ask the SFTP "
        "server's owner for its key's fingerprint; if it is {}, set host_key: \"{}\"",
        where, offered.type, offered.fingerprint, pin.fingerprint, offered.fingerprint,
        offered.fingerprint);
  }
  if (pin.known_hosts_file.empty()) {
    return make_error(ErrorCode::kConfig,
                      "sftp {} offered host key {} {}, and no host_key or known_hosts is set: "
                      "Ferry never trusts a key on first use. If the SFTP server's owner confirms "
                      "that fingerprint, set host_key: \"{}\"",
                      where, offered.type, offered.fingerprint, offered.fingerprint);
  }
  const std::string file = path_text(pin.known_hosts_file);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(pin.known_hosts_file, ec)) {
    return make_error(ErrorCode::kNotFound, "sftp {}: known_hosts file {} does not exist", where,
                      file);
  }
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return {};
    case SSH_KNOWN_HOSTS_CHANGED:
      return make_error(ErrorCode::kAuth,
                        "sftp {} offered host key {} {}, which is not the key {} holds for it: "
                        "the server's key changed, or this is not the server meant. Nothing was "
                        "sent or read. If the SFTP server's owner confirms the new fingerprint, "
                        "replace its line in {} with: {}",
                        where, offered.type, offered.fingerprint, file, file,
                        known_hosts_line(session));
    case SSH_KNOWN_HOSTS_OTHER:
      return make_error(ErrorCode::kAuth,
                        "sftp {} offered a host key of type {} ({}), and {} holds a key of another "
                        "type for it: nothing was sent or read. If the SFTP server's owner "
                        "confirms that fingerprint, add to {}: {}",
                        where, offered.type, offered.fingerprint, file, file,
                        known_hosts_line(session));
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      return make_error(
          ErrorCode::kAuth,
          "sftp {} is not in known_hosts {} (it offered host key {} {}): nothing was "
          "sent or read. If the SFTP server's owner confirms that fingerprint, add to "
          "{}: {}",
          where, file, offered.type, offered.fingerprint, file, known_hosts_line(session));
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return make_error(ErrorCode::kConfig, "sftp {}: cannot read known_hosts {}: {}", where, file,
                    libssh_error(session));
}

// libssh calls this when a private key is encrypted and no passphrase was given. Without a
// callback, OpenSSL would prompt on the terminal for an encrypted PEM key.
int record_passphrase_request(const char* /*prompt*/, char* /*buffer*/, std::size_t /*length*/,
                              int /*echo*/, int /*verify*/, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

Result<KeyPtr> load_private_key(const ConnectOptions& options) {
  const std::filesystem::path& path = *options.credentials.private_key_file;
  auto text = fs::read_secret_file(path, kMaxKeyFileSize, options.service_dir,
                                   fs::SecretSharing::kRootToOwnGroup);
  if (!text) return tl::unexpected(text.error());
  const std::optional<std::string>& passphrase = options.credentials.passphrase;
  bool asked = false;
  ssh_key raw = nullptr;
  const int loaded =
      ssh_pki_import_privkey_base64(text->c_str(), passphrase ? passphrase->c_str() : nullptr,
                                    &record_passphrase_request, &asked, &raw);
  OPENSSL_cleanse(text->data(), text->size());
  if (loaded == SSH_OK) return KeyPtr(raw);
  if (asked) {
    return make_error(ErrorCode::kConfig,
                      "sftp private key {} is encrypted: give its passphrase with passphrase_file",
                      path_text(path));
  }
  if (passphrase) {
    return make_error(
        ErrorCode::kConfig,
        "cannot open sftp private key {}: the passphrase is wrong, or the file is not "
        "a private key in OpenSSH or PEM format",
        path_text(path));
  }
  return make_error(ErrorCode::kConfig,
                    "{} is not a private key in OpenSSH or PEM format (ed25519, ECDSA, or RSA of "
                    "{} bits or more)",
                    path_text(path), kRsaMinBits);
}

Result<void> authenticate(ssh_session session, const ConnectOptions& options) {
  const std::string where = describe(options.endpoint);
  const Credentials& credentials = options.credentials;
  int result = SSH_AUTH_ERROR;
  std::string refused;
  if (credentials.private_key_file) {
    auto key = load_private_key(options);
    if (!key) return tl::unexpected(key.error());
    // Never ssh_userauth_publickey_auto: it would try ssh-agent and ~/.ssh keys.
    result = ssh_userauth_publickey(session, nullptr, key->get());
    refused = fmt::format(
        "sftp {} refused user '{}' with private key {} ({}): check the user, and that the key's "
        "public half is in that user's authorized_keys on the server",
        where, options.endpoint.user, credentials.private_key_file->string(),
        libssh_error(session));
  } else if (credentials.password) {
    result = ssh_userauth_password(session, nullptr, credentials.password->c_str());
    refused = fmt::format(
        "sftp {} refused the password of user '{}' ({}): check the user and password_file", where,
        options.endpoint.user, libssh_error(session));
  } else {
    return make_error(ErrorCode::kConfig,
                      "sftp {}: no private_key_file or password to authenticate with", where);
  }
  switch (result) {
    case SSH_AUTH_SUCCESS:
      return {};
    case SSH_AUTH_DENIED:
    case SSH_AUTH_PARTIAL:  // the server wants a second method, which Ferry does not have
      return tl::unexpected(Error{ErrorCode::kAuth, std::move(refused)});
    case SSH_AUTH_AGAIN:  // libssh 0.10 says AGAIN when the timeout ran out, even when blocking
      return make_error(ErrorCode::kUnavailable, "sftp {}: no answer to authentication within {}s",
                        where, options.timeout.count());
    default:
      return make_error(ErrorCode::kUnavailable, "sftp {}: authentication failed: {}", where,
                        libssh_error(session));
  }
}

}  // namespace

std::string describe(const Endpoint& endpoint) {
  if (endpoint.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", endpoint.host, endpoint.port);
  }
  return fmt::format("{}:{}", endpoint.host, endpoint.port);
}

Result<std::unique_ptr<SshSession>> SshSession::open(const ConnectOptions& options,
                                                     std::optional<OfferedKey>* refused_host_key) {
  const std::string known_hosts =
      options.pin.known_hosts_file.empty() ? kNoFile : path_text(options.pin.known_hosts_file);
  auto session = new_session(options.endpoint, options.timeout, known_hosts);
  if (!session) return tl::unexpected(session.error());
  if (auto connected = connect(session->get(), options.endpoint); !connected) {
    return tl::unexpected(connected.error());
  }
  // The key exchange is done and nothing about the user has been sent: libssh sends the
  // ssh-userauth request only with the first ssh_userauth_* call, after this check.
  auto offered = offered_key(session->get(), options.endpoint);
  if (!offered) return tl::unexpected(offered.error());
  if (auto trusted = check_host_key(session->get(), options, *offered); !trusted) {
    // A known_hosts file that is missing or unreadable is the configuration's fault, not a key's.
    const bool key_refused =
        trusted.error().code == ErrorCode::kAuth ||
        (options.pin.fingerprint.empty() && options.pin.known_hosts_file.empty());
    if (refused_host_key != nullptr && key_refused) *refused_host_key = *offered;
    return tl::unexpected(trusted.error());
  }
  if (auto authenticated = authenticate(session->get(), options); !authenticated) {
    return tl::unexpected(authenticated.error());
  }
  return std::unique_ptr<SshSession>(new SshSession(session->release(), std::move(*offered)));
}

Result<OfferedKey> SshSession::probe_host_key(const Endpoint& endpoint,
                                              std::chrono::seconds timeout) {
  auto session = new_session(endpoint, timeout, kNoFile);
  if (!session) return tl::unexpected(session.error());
  if (auto connected = connect(session->get(), endpoint); !connected) {
    return tl::unexpected(connected.error());
  }
  return offered_key(session->get(), endpoint);
}

SshSession::~SshSession() { SessionFree{}(session_); }

}  // namespace ferry::connectors::sftp
