#include "common/keys/keyring_export.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/crypto/aes_gcm.hpp"
#include "common/crypto/base64.hpp"
#include "common/crypto/random.hpp"
#include "common/error/path_text.hpp"

namespace ferry::keys {
namespace {

namespace json = boost::json;

constexpr std::string_view kKdfName = "scrypt";
constexpr std::string_view kCipherName = "aes-256-gcm";
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kMaxSaltSize = 64;
constexpr std::size_t kMaxKeys = 100000;
constexpr std::size_t kMaxTextField = 64;  // a created or exported date, an agent id

// An agent id as the configuration allows it: [A-Za-z0-9._-]+.
bool is_agent_id(std::string_view text) {
  return !text.empty() && text.size() <= 128 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// A date as the file carries it: printable ASCII without spaces, so that it is one word on its
// line of the associated data.
bool is_date_text(std::string_view text) {
  return !text.empty() && text.size() <= kMaxTextField &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Reads the fields of the clear part, each error naming the field; `file` prefixes them.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  tl::unexpected<Error> damaged(std::string_view field, std::string_view what) const {
    return make_error(ErrorCode::kCorrupt,
                      "{} is damaged: \"{}\" {} (the file must be as 'ferry keys export' wrote it)",
                      file_, field, what);
  }

  Result<const json::object*> object(const json::object& parent, std::string_view key,
                                     std::string_view field) const {
    const json::value* value = parent.if_contains(key);
    if (value == nullptr || !value->is_object()) return damaged(field, "must be an object");
    return &value->get_object();
  }

  Result<std::string> text(const json::object& parent, std::string_view key,
                           std::string_view field) const {
    const json::value* value = parent.if_contains(key);
    if (value == nullptr || !value->is_string()) return damaged(field, "must be a string");
    return std::string(value->get_string());
  }

  Result<std::uint64_t> number(const json::object& parent, std::string_view key,
                               std::string_view field, std::uint64_t min, std::uint64_t max) const {
    const json::value* value = parent.if_contains(key);
    std::uint64_t n = 0;
    if (value != nullptr && value->is_uint64()) {
      n = value->get_uint64();
    } else if (value != nullptr && value->is_int64() && value->get_int64() >= 0) {
      n = static_cast<std::uint64_t>(value->get_int64());
    } else {
      return damaged(field, "must be a whole number");
    }
    if (n < min || n > max) {
      return damaged(field, fmt::format("must be from {} to {}, not {}", min, max, n));
    }
    return n;
  }

  Result<crypto::Bytes> base64(const json::object& parent, std::string_view key,
                               std::string_view field, std::size_t min, std::size_t max) const {
    auto encoded = text(parent, key, field);
    if (!encoded) return tl::unexpected(encoded.error());
    auto bytes = crypto::base64_decode(*encoded);
    if (!bytes) return damaged(field, "must be standard base64");
    if (bytes->size() < min || bytes->size() > max) {
      return damaged(field, min == max ? fmt::format("must hold {} bytes", min)
                                       : fmt::format("must hold {} to {} bytes", min, max));
    }
    return std::move(*bytes);
  }

  // Only the keys the format names: a field no one authenticates has no place in the file.
  Result<void> only(const json::object& object, std::initializer_list<std::string_view> keys,
                    std::string_view where) const {
    for (const auto& item : object) {
      if (std::find(keys.begin(), keys.end(), std::string_view(item.key())) == keys.end()) {
        return damaged(fmt::format("{}{}", where, std::string_view(item.key())),
                       "is not part of the format");
      }
    }
    return {};
  }

 private:
  std::string file_;
};

Result<ExportHeader> read_header(const Reader& in, const json::object& root) {
  ExportHeader header;
  if (auto ok = in.only(
          root, {"format", "exported", "agent_id", "active", "keys", "kdf", "cipher", "ciphertext"},
          "");
      !ok) {
    return tl::unexpected(ok.error());
  }
  auto exported = in.text(root, "exported", "exported");
  if (!exported) return tl::unexpected(exported.error());
  if (!is_date_text(*exported)) return in.damaged("exported", "must be an RFC 3339 time");
  header.exported = std::move(*exported);
  auto agent_id = in.text(root, "agent_id", "agent_id");
  if (!agent_id) return tl::unexpected(agent_id.error());
  if (!is_agent_id(*agent_id)) {
    return in.damaged("agent_id", "must use letters, digits, '.', '_' and '-' only");
  }
  header.agent_id = std::move(*agent_id);
  auto active = in.number(root, "active", "active", 1, 1000000);
  if (!active) return tl::unexpected(active.error());
  header.active = static_cast<std::uint32_t>(*active);

  const json::value* keys = root.if_contains("keys");
  if (keys == nullptr || !keys->is_array() || keys->get_array().empty() ||
      keys->get_array().size() > kMaxKeys) {
    return in.damaged("keys", "must be a list of key versions");
  }
  for (std::size_t i = 0; i < keys->get_array().size(); ++i) {
    const std::string field = fmt::format("keys[{}]", i);
    const json::value& item = keys->get_array()[i];
    if (!item.is_object()) return in.damaged(field, "must be an object");
    if (auto ok = in.only(item.get_object(), {"version", "created"}, field + "."); !ok) {
      return tl::unexpected(ok.error());
    }
    auto version = in.number(item.get_object(), "version", field + ".version", 1, 1000000);
    if (!version) return tl::unexpected(version.error());
    if (!header.keys.empty() && *version <= header.keys.back().version) {
      return in.damaged(field + ".version", "must be higher than the one before");
    }
    auto created = in.text(item.get_object(), "created", field + ".created");
    if (!created) return tl::unexpected(created.error());
    if (!is_date_text(*created)) return in.damaged(field + ".created", "must be an RFC 3339 time");
    header.keys.push_back({static_cast<std::uint32_t>(*version), std::move(*created)});
  }
  if (std::none_of(header.keys.begin(), header.keys.end(),
                   [&](const ExportedKey& key) { return key.version == header.active; })) {
    return in.damaged("active", "must be one of the versions in \"keys\"");
  }

  auto kdf = in.object(root, "kdf", "kdf");
  if (!kdf) return tl::unexpected(kdf.error());
  if (auto ok = in.only(**kdf, {"name", "n", "r", "p", "salt"}, "kdf."); !ok) {
    return tl::unexpected(ok.error());
  }
  auto kdf_name = in.text(**kdf, "name", "kdf.name");
  if (!kdf_name) return tl::unexpected(kdf_name.error());
  if (*kdf_name != kKdfName) return in.damaged("kdf.name", "must be \"scrypt\"");
  auto n = in.number(**kdf, "n", "kdf.n", 2, crypto::kScryptMaxMemory);
  auto r = in.number(**kdf, "r", "kdf.r", 1, 1024);
  auto p = in.number(**kdf, "p", "kdf.p", 1, 1024);
  if (!n) return tl::unexpected(n.error());
  if (!r) return tl::unexpected(r.error());
  if (!p) return tl::unexpected(p.error());
  header.kdf = {*n, static_cast<std::uint32_t>(*r), static_cast<std::uint32_t>(*p)};
  if (auto ok = crypto::check_scrypt_params(header.kdf); !ok) {
    return in.damaged("kdf", ok.error().message);
  }
  auto salt = in.base64(**kdf, "salt", "kdf.salt", kExportSaltSize, kMaxSaltSize);
  if (!salt) return tl::unexpected(salt.error());
  header.salt = std::move(*salt);

  auto cipher = in.object(root, "cipher", "cipher");
  if (!cipher) return tl::unexpected(cipher.error());
  if (auto ok = in.only(**cipher, {"name", "nonce"}, "cipher."); !ok) {
    return tl::unexpected(ok.error());
  }
  auto cipher_name = in.text(**cipher, "name", "cipher.name");
  if (!cipher_name) return tl::unexpected(cipher_name.error());
  if (*cipher_name != kCipherName) return in.damaged("cipher.name", "must be \"aes-256-gcm\"");
  auto nonce = in.base64(**cipher, "nonce", "cipher.nonce", crypto::kAesGcmNonceSize,
                         crypto::kAesGcmNonceSize);
  if (!nonce) return tl::unexpected(nonce.error());
  header.nonce = std::move(*nonce);
  return header;
}

}  // namespace

std::string export_aad(const ExportHeader& header) {
  std::string aad = fmt::format("{}\nexported {}\nagent_id {}\nactive {}\n", kExportFormat,
                                header.exported, header.agent_id, header.active);
  for (const auto& key : header.keys) aad += fmt::format("key {} {}\n", key.version, key.created);
  aad += fmt::format("kdf {} {} {} {} {}\n", kKdfName, header.kdf.n, header.kdf.r, header.kdf.p,
                     crypto::base64_encode(header.salt));
  aad += fmt::format("cipher {} {}\n", kCipherName, crypto::base64_encode(header.nonce));
  return aad;
}

std::string describe_versions(const std::vector<ExportedKey>& keys, std::uint32_t active) {
  if (keys.size() == 1) {
    return fmt::format("key version {}{}", keys[0].version,
                       keys[0].version == active ? " (active)" : "");
  }
  const bool contiguous = keys.back().version - keys.front().version + 1 == keys.size();
  std::string list;
  if (contiguous) {
    list = fmt::format("{}-{}", keys.front().version, keys.back().version);
  } else {
    for (const auto& key : keys) list += fmt::format("{}{}", list.empty() ? "" : ", ", key.version);
  }
  return fmt::format("key versions {} (active {})", list, active);
}

std::string describe_versions(const Keyring& keyring) {
  std::vector<ExportedKey> keys;
  for (const auto& key : keyring.versions()) keys.push_back({key.version, key.created});
  return describe_versions(keys, keyring.active_version());
}

Result<std::string> seal_export(const Keyring& keyring, crypto::ByteView passphrase,
                                std::string_view agent_id,
                                std::chrono::system_clock::time_point now,
                                const crypto::ScryptParams& kdf) {
  if (!is_agent_id(agent_id)) {
    return make_error(ErrorCode::kInvalidArgument, "agent id '{}' cannot go into a key export",
                      agent_id);
  }
  ExportHeader header;
  header.exported = format_rfc3339(now);
  header.agent_id = std::string(agent_id);
  header.active = keyring.active_version();
  for (const auto& key : keyring.versions()) {
    if (!is_date_text(key.created)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{}: key version {} has a created date that is not an RFC 3339 time",
                        path_text(keyring.path()), key.version);
    }
    header.keys.push_back({key.version, key.created});
  }
  header.kdf = kdf;
  header.salt.resize(kExportSaltSize);
  header.nonce.resize(crypto::kAesGcmNonceSize);
  if (auto ok = crypto::random_fill(header.salt); !ok) return tl::unexpected(ok.error());
  if (auto ok = crypto::random_fill(header.nonce); !ok) return tl::unexpected(ok.error());

  auto key = crypto::scrypt(passphrase, header.salt, header.kdf, kKeySize);
  if (!key) return tl::unexpected(key.error());
  const SecureText plaintext = keyring.serialize();
  const std::string aad = export_aad(header);
  auto sealed = crypto::aes_gcm_seal(*key, header.nonce, crypto::as_bytes(aad),
                                     crypto::as_bytes({plaintext.data(), plaintext.size()}));
  if (!sealed) return tl::unexpected(sealed.error());

  // Boost.JSON keeps the order of insertion: the file lists the fields as the format shows them.
  json::array keys;
  for (const auto& item : header.keys) {
    keys.push_back(json::object{{"version", item.version}, {"created", item.created}});
  }
  json::object document;
  document["format"] = kExportFormat;
  document["exported"] = header.exported;
  document["agent_id"] = header.agent_id;
  document["active"] = header.active;
  document["keys"] = std::move(keys);
  document["kdf"] = json::object{{"name", kKdfName},
                                 {"n", header.kdf.n},
                                 {"r", header.kdf.r},
                                 {"p", header.kdf.p},
                                 {"salt", crypto::base64_encode(header.salt)}};
  document["cipher"] =
      json::object{{"name", kCipherName}, {"nonce", crypto::base64_encode(header.nonce)}};
  document["ciphertext"] = crypto::base64_encode(*sealed);
  return json::serialize(document) + "\n";
}

Result<ExportFile> parse_export(std::string_view text, const std::filesystem::path& path) {
  const std::string name = path_text(path);
  if (text.size() > kMaxExportSize) {
    return make_error(ErrorCode::kCorrupt,
                      "{} is not a Ferry key export: it is larger than {} KiB (an export is a few "
                      "KiB)",
                      name, kMaxExportSize / 1024);
  }
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) {
    return make_error(ErrorCode::kCorrupt,
                      "{} is not a Ferry key export (not a JSON object): give the file that "
                      "'ferry keys export' wrote",
                      name);
  }
  const json::object& object = root.get_object();
  const json::value* format = object.if_contains("format");
  if (format == nullptr || !format->is_string()) {
    return make_error(ErrorCode::kCorrupt,
                      "{} is not a Ferry key export (no \"format\"): give the file that 'ferry "
                      "keys export' wrote",
                      name);
  }
  const std::string_view format_name = format->get_string();
  if (format_name != kExportFormat) {
    if (format_name.rfind("ferry-key-export-", 0) == 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{} is a key export of format {}, which this Ferry (which reads {}) does "
                        "not know: import it with the Ferry version that wrote it, or a newer one",
                        name, format_name, kExportFormat);
    }
    return make_error(ErrorCode::kCorrupt,
                      "{} is not a Ferry key export (\"format\" is \"{}\"): give the file that "
                      "'ferry keys export' wrote",
                      name, format_name);
  }
  const Reader in(name);
  ExportFile file;
  auto header = read_header(in, object);
  if (!header) return tl::unexpected(header.error());
  file.header = std::move(*header);
  auto sealed =
      in.base64(object, "ciphertext", "ciphertext", crypto::kAesGcmTagSize + 1, kMaxExportSize);
  if (!sealed) return tl::unexpected(sealed.error());
  file.sealed = std::move(*sealed);
  return file;
}

Result<Keyring> open_export(const ExportFile& file, crypto::ByteView passphrase,
                            const std::filesystem::path& path,
                            const std::filesystem::path& keyring_path) {
  const ExportHeader& header = file.header;
  auto key = crypto::scrypt(passphrase, header.salt, header.kdf, kKeySize);
  if (!key) return tl::unexpected(key.error());
  const std::string aad = export_aad(header);
  auto opened = crypto::aes_gcm_open(*key, header.nonce, crypto::as_bytes(aad), file.sealed);
  if (!opened) {
    return make_error(ErrorCode::kCorrupt,
                      "cannot open {}: wrong passphrase or damaged file (give the passphrase "
                      "'ferry keys export' was given; if it is right, the file was changed: use "
                      "another copy)",
                      path_text(path));
  }
  SecureText text(opened->begin(), opened->end());
  crypto::secure_wipe(opened->data(), opened->size());
  auto keyring = Keyring::parse({text.data(), text.size()}, keyring_path);
  // Authenticated but not a key file, or not the one listed in the clear: not made by Ferry.
  const auto not_made_by_ferry = [&](std::string_view why) {
    return make_error(ErrorCode::kCorrupt,
                      "{} opens, but {}: it was not made by 'ferry keys export'; use another copy",
                      path_text(path), why);
  };
  if (!keyring) return not_made_by_ferry("what it holds is not a key file");
  bool same = keyring->active_version() == header.active &&
              keyring->versions().size() == header.keys.size();
  for (std::size_t i = 0; same && i < header.keys.size(); ++i) {
    same = keyring->versions()[i].version == header.keys[i].version &&
           keyring->versions()[i].created == header.keys[i].created;
  }
  if (!same) return not_made_by_ferry("its keys are not the versions it lists");
  return std::move(*keyring);
}

}  // namespace ferry::keys
