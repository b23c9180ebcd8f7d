// `sftp:` of a file source (SPEC section 3.1, docs/connectors/sftp.md).
#include <openssl/crypto.h>

#include "common/config/decode.hpp"
#include "common/fs/read_file.hpp"
#include "common/fs/secret_file.hpp"

namespace ferry::config::detail {

namespace {

// "SHA256:" and the unpadded base64 of 32 bytes (43 characters), as `ssh-keygen -lf` prints it.
bool valid_fingerprint(std::string_view text) {
  constexpr std::string_view kPrefix = "SHA256:";
  if (!text.starts_with(kPrefix)) return false;
  std::string_view digest = text.substr(kPrefix.size());
  if (digest.ends_with('=')) digest.remove_suffix(1);  // some tools print the padding
  if (digest.size() != 43) return false;
  for (const char c : digest) {
    const bool base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!base64) return false;
  }
  return true;
}

void decode_pin(Context& ctx, const MapReader& map, SftpSettings& sftp, const std::string& where) {
  const Entry* host_key = map.find("host_key");
  const Entry* known_hosts = map.find("known_hosts");
  if (host_key != nullptr && known_hosts != nullptr) {
    ctx.error(known_hosts->key_at(),
              "set either host_key or known_hosts in the sftp of {}, not both", where);
    return;
  }
  if (host_key != nullptr) {
    if (auto text = read_nonempty_string(ctx, *host_key)) {
      if (!valid_fingerprint(*text)) {
        ctx.error(host_key->value_at(),
                  "{} must be a SHA256 fingerprint as `ssh-keygen -lf` prints it, such as "
                  "\"SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s\" (`ferry check` shows "
                  "the one the server offers)",
                  host_key->label);
      } else {
        if (text->ends_with('=')) text->pop_back();
        sftp.host_key = std::move(*text);
      }
    }
  } else if (known_hosts != nullptr) {
    if (auto path = read_path(ctx, *known_hosts)) {
      if (auto readable = fs::check_readable(*path); !readable) {
        ctx.error(known_hosts->value_at(), "{}: {}", known_hosts->label, readable.error().message);
      } else {
        sftp.known_hosts = std::move(*path);
      }
    }
  } else if (!ctx.allow_unpinned_host_keys()) {
    ctx.error(map.at(),
              "the sftp of {} needs host_key: \"SHA256:...\" or known_hosts: FILE, so that "
              "Ferry knows the server it talks to (a key is never trusted on first use); "
              "`ferry check` shows the key the server offers, to compare with the fingerprint "
              "the SFTP server's owner gives",
              where);
  }
}

void decode_auth(Context& ctx, const MapReader& map, SftpSettings& sftp, const std::string& where,
                 const std::filesystem::path& data_dir) {
  const Entry* key = map.find("private_key_file");
  const Entry* passphrase = map.find("passphrase_file");
  const Entry* password_file = map.find("password_file");
  const Entry* password = map.find("password");
  const int methods = (key != nullptr) + (password_file != nullptr) + (password != nullptr);
  if (methods == 0) {
    ctx.error(map.at(),
              "the sftp of {} needs a way to log in: private_key_file (with passphrase_file if "
              "the key is encrypted), password_file, or password: ${{SFTP_PASSWORD}}",
              where);
    return;
  }
  if (methods > 1) {
    ctx.error(map.at(),
              "the sftp of {} sets more than one of private_key_file, password_file and "
              "password: keep one",
              where);
    return;
  }
  if (passphrase != nullptr && key == nullptr) {
    ctx.error(passphrase->key_at(),
              "{} is the passphrase of private_key_file, which the sftp of {} does not set",
              passphrase->label, where);
    return;
  }
  if (key != nullptr) {
    auto path = read_path(ctx, *key);
    if (!path) return;
    sftp.private_key_file = *path;
    if (ctx.read_secret_files()) {
      // Checked now so that a missing or shared key stops the configuration, not a run.
      auto text = fs::read_secret_file(*path, kMaxSecretFileSize, data_dir,
                                       fs::SecretSharing::kRootToOwnGroup);
      if (!text) {
        ctx.error(key->value_at(), "{}: {}", key->label, text.error().message);
      } else {
        OPENSSL_cleanse(text->data(), text->size());
      }
    }
    if (passphrase != nullptr) {
      sftp.passphrase = read_secret_line(ctx, *passphrase, data_dir, sftp.passphrase_file);
    }
  } else if (password_file != nullptr) {
    sftp.password = read_secret_line(ctx, *password_file, data_dir, sftp.password_file);
  } else {
    sftp.password = read_inline_secret(ctx, *password);
  }
}

void decode_remote_path(Context& ctx, const MapReader& map, SftpSettings& sftp) {
  const Entry* path = map.find("path");
  if (path == nullptr) return;  // reported by require()
  auto text = read_nonempty_string(ctx, *path);
  if (!text) return;
  const std::size_t last_slash = text->find_last_of('/');
  const std::size_t wildcard = text->find_first_of("*?[");
  if (wildcard != std::string::npos && last_slash != std::string::npos && wildcard < last_slash) {
    ctx.error(path->value_at(),
              "{} may have wildcards (* ? [...]) in its last part only, as in "
              "/exports/oneroster_*.zip",
              path->label);
    return;
  }
  sftp.path = std::move(*text);
}

}  // namespace

SftpSettings decode_sftp(Context& ctx, const Entry& entry, const std::string& where,
                         const std::filesystem::path& data_dir) {
  SftpSettings sftp;
  sftp.at = entry.value_at();
  sftp.service_dir = data_dir;
  auto map = open_map(ctx, entry, fmt::format("sftp of {}", where), Naming::kItem);
  if (!map) return sftp;
  map->check_keys({"host", "port", "user", "private_key_file", "passphrase_file", "password_file",
                   "password", "host_key", "known_hosts", "path", "settle", "timeout"});
  if (const Entry* host = map->require("host", " (the SFTP server's name or address)")) {
    if (auto text = read_nonempty_string(ctx, *host)) sftp.host = std::move(*text);
  }
  if (const Entry* port = map->find("port")) {
    if (auto number = read_int(ctx, *port, 1, 65535)) {
      sftp.port = static_cast<std::uint16_t>(*number);
    }
  }
  if (const Entry* user = map->require("user", " (the account Ferry logs in as)")) {
    if (auto text = read_nonempty_string(ctx, *user)) sftp.user = std::move(*text);
  }
  map->require("path", " (a remote folder, file, or glob such as /exports/oneroster_*.zip)");
  decode_remote_path(ctx, *map, sftp);
  decode_pin(ctx, *map, sftp, where);
  decode_auth(ctx, *map, sftp, where, data_dir);
  if (const Entry* settle = map->find("settle")) {
    if (auto duration = read_duration(ctx, *settle, Duration(0))) sftp.settle = *duration;
  }
  if (const Entry* timeout = map->find("timeout")) {
    if (auto duration = read_duration(ctx, *timeout, std::chrono::seconds(1))) {
      sftp.timeout = *duration;
    }
  }
  return sftp;
}

}  // namespace ferry::config::detail
