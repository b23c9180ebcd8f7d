#include "common/keys/keyring.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <new>
#include <string_view>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/crypto/base64.hpp"
#include "common/crypto/random.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/fs/file_lock.hpp"
#include "common/fs/read_file.hpp"
#include "common/fs/secret_file.hpp"
#include "common/keys/at_rest.hpp"

namespace ferry::keys {
namespace {

// Boost.JSON memory that is wiped when freed, so the parsed secrets leave no copy on the heap.
class WipingResource final : public boost::json::memory_resource {
  void* do_allocate(std::size_t size, std::size_t alignment) override {
    return ::operator new(size, std::align_val_t(alignment));
  }
  void do_deallocate(void* p, std::size_t size, std::size_t alignment) override {
    crypto::secure_wipe(p, size);
    ::operator delete(p, std::align_val_t(alignment));
  }
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
};

Result<std::uint32_t> read_version(const boost::json::value& value, std::string_view what) {
  if (const auto* number = value.if_int64();
      number != nullptr && *number > 0 && *number <= 1000000) {
    return static_cast<std::uint32_t>(*number);
  }
  if (const auto* number = value.if_uint64();
      number != nullptr && *number > 0 && *number <= 1000000) {
    return static_cast<std::uint32_t>(*number);
  }
  return make_error(ErrorCode::kCorrupt, "{} must be a positive whole number", what);
}

Result<KeyVersion> read_key(const boost::json::value& item, std::size_t index) {
  const std::string where = fmt::format("keys[{}]", index);
  const auto* object = item.if_object();
  if (object == nullptr) return make_error(ErrorCode::kCorrupt, "{} must be an object", where);
  KeyVersion key;
  const auto* version = object->if_contains("version");
  if (version == nullptr) return make_error(ErrorCode::kCorrupt, "{} has no \"version\"", where);
  auto parsed_version = read_version(*version, where + ".version");
  if (!parsed_version) return tl::unexpected(parsed_version.error());
  key.version = *parsed_version;
  const auto* created = object->if_contains("created");
  if (created == nullptr || !created->is_string()) {
    return make_error(ErrorCode::kCorrupt, "{} (version {}) has no \"created\" date", where,
                      key.version);
  }
  key.created = std::string(created->get_string());
  const auto* secret = object->if_contains("secret");
  if (secret == nullptr || !secret->is_string()) {
    return make_error(ErrorCode::kCorrupt, "{} (version {}) has no \"secret\"", where, key.version);
  }
  auto decoded = crypto::base64_decode(std::string_view(secret->get_string()));
  if (!decoded || decoded->size() != kSecretSize) {
    if (decoded) crypto::secure_wipe(decoded->data(), decoded->size());
    return make_error(ErrorCode::kCorrupt,
                      "{} (version {}): \"secret\" must be standard base64 of {} bytes", where,
                      key.version, kSecretSize);
  }
  key.secret.assign(decoded->begin(), decoded->end());
  crypto::secure_wipe(decoded->data(), decoded->size());
  return key;
}

// <keyring.json>.lock: held (fs::FileLock) while the key file is read, changed and rewritten. The
// key file itself cannot carry the lock, as each rewrite replaces it by a rename.
std::filesystem::path lock_path(std::filesystem::path keyring) { return keyring += ".lock"; }

}  // namespace

std::filesystem::path keyring_path(const std::filesystem::path& data_dir) {
  return data_dir / "keyring.json";
}

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss clock(seconds - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

Result<Keyring> Keyring::load(const std::filesystem::path& path) {
  // Private, not a link, and owned by this user (or, for root, by the data_dir's owner).
  auto text = fs::read_secret_file(path, 1024 * 1024, path.parent_path());
  if (!text) return tl::unexpected(text.error());
  auto content = unwrap_at_rest(*text, path);  // DPAPI on Windows (at_rest.hpp)
  crypto::secure_wipe(text->data(), text->size());
  if (!content) return tl::unexpected(content.error());
  return parse(std::string_view(content->data(), content->size()), path);
}

Result<Keyring> Keyring::parse(std::string_view content, const std::filesystem::path& path) {
  const std::string name = path_text(path);
  Keyring keyring;
  keyring.path_ = path;
  {
    boost::json::storage_ptr storage = boost::json::make_shared_resource<WipingResource>();
    boost::system::error_code ec;
    boost::json::value root = boost::json::parse(content, ec, storage);
    if (ec) return make_error(ErrorCode::kCorrupt, "{} is not valid JSON: {}", name, ec.message());
    const auto* object = root.if_object();
    if (object == nullptr) {
      return make_error(ErrorCode::kCorrupt, "{} must hold a JSON object", name);
    }
    const auto* format = object->if_contains("format");
    if (format == nullptr || !format->is_string() || format->get_string() != kKeyringFormat) {
      return make_error(ErrorCode::kCorrupt,
                        "{} is not a Ferry key file (\"format\" must be \"{}\")", name,
                        kKeyringFormat);
    }
    const auto* active = object->if_contains("active");
    if (active == nullptr)
      return make_error(ErrorCode::kCorrupt, "{} has no \"active\" version", name);
    auto active_version = read_version(*active, "\"active\"");
    if (!active_version) return with_context(active_version.error(), name);
    keyring.active_ = *active_version;
    const auto* keys = object->if_contains("keys");
    if (keys == nullptr || !keys->is_array() || keys->get_array().empty()) {
      return make_error(ErrorCode::kCorrupt, "{} has no \"keys\"", name);
    }
    std::size_t index = 0;
    for (const auto& item : keys->get_array()) {
      auto key = read_key(item, index++);
      if (!key) return with_context(key.error(), name);
      if (keyring.find(key->version) != nullptr) {
        return make_error(ErrorCode::kCorrupt, "{}: key version {} appears twice", name,
                          key->version);
      }
      keyring.keys_.push_back(std::move(*key));
    }
  }
  if (keyring.find(keyring.active_) == nullptr) {
    return make_error(ErrorCode::kCorrupt, "{}: the active version {} is not among the keys", name,
                      keyring.active_);
  }
  std::sort(keyring.keys_.begin(), keyring.keys_.end(),
            [](const KeyVersion& a, const KeyVersion& b) { return a.version < b.version; });
  return keyring;
}

Result<Keyring> Keyring::create(const std::filesystem::path& path,
                                std::chrono::system_clock::time_point now) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return make_error(ErrorCode::kAlreadyExists,
                      "{} already exists; refusing to overwrite keys (use 'ferry keys rotate' to "
                      "add a new version)",
                      path_text(path));
  }
  auto secret = crypto::random_secret(kSecretSize);
  if (!secret) return tl::unexpected(secret.error());
  Keyring keyring;
  keyring.path_ = path;
  keyring.active_ = 1;
  keyring.keys_.push_back(KeyVersion{1, format_rfc3339(now), std::move(*secret)});
  if (auto saved = keyring.save(/*create_new=*/true); !saved) return tl::unexpected(saved.error());
  return keyring;
}

Result<std::uint32_t> Keyring::rotate(std::chrono::system_clock::time_point now) {
  // Read, add, write under an exclusive lock, from the file as it is now: two rotations at once
  // (two admins, a script run twice) must each add a version, not both write the same one.
  auto lock = fs::FileLock::exclusive(lock_path(path_), fs::FileLock::Wait::kUntilFree);
  if (!lock) return tl::unexpected(lock.error());
  auto current = load(path_);
  if (!current) return tl::unexpected(current.error());
  auto secret = crypto::random_secret(kSecretSize);
  if (!secret) return tl::unexpected(secret.error());
  const std::uint32_t next = current->keys_.back().version + 1;  // keys_ is sorted by version
  Keyring updated = std::move(*current);
  updated.keys_.push_back(KeyVersion{next, format_rfc3339(now), std::move(*secret)});
  updated.active_ = next;
  if (auto saved = updated.save(/*create_new=*/false); !saved) return tl::unexpected(saved.error());
  *this = std::move(updated);
  return next;
}

const KeyVersion& Keyring::active() const { return *find(active_); }

const KeyVersion* Keyring::find(std::uint32_t version) const {
  auto it = std::find_if(keys_.begin(), keys_.end(),
                         [version](const KeyVersion& key) { return key.version == version; });
  return it == keys_.end() ? nullptr : &*it;
}

SecureText Keyring::serialize() const {
  // Written by hand into wiped memory: Boost.JSON's serializer would leave copies of the secrets.
  SecureText text;
  auto out = std::back_inserter(text);
  fmt::format_to(out, "{{\"format\": \"{}\", \"active\": {},\n \"keys\": [", kKeyringFormat,
                 active_);
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    std::string secret = crypto::base64_encode(keys_[i].secret);
    fmt::format_to(out, "{}\n  {{\"version\": {}, \"created\": \"{}\", \"secret\": \"{}\"}}",
                   i == 0 ? "" : ",", keys_[i].version, keys_[i].created, secret);
    crypto::secure_wipe(secret.data(), secret.size());
  }
  fmt::format_to(out, "]}}\n");
  return text;
}

Result<void> Keyring::save(bool create_new) const {
  auto text = wrap_at_rest(serialize());  // DPAPI on Windows (at_rest.hpp)
  if (!text) return tl::unexpected(text.error());
  return fs::write_file_atomically(path_, std::string_view(text->data(), text->size()),
                                   fs::Access::kOwnerOnly,
                                   create_new ? fs::Overwrite::kRefuse : fs::Overwrite::kAllow);
}

Result<Keyring::Restored> Keyring::restore(const Keyring& incoming,
                                           const std::filesystem::path& path) {
  auto lock = fs::FileLock::exclusive(lock_path(path), fs::FileLock::Wait::kUntilFree);
  if (!lock) return tl::unexpected(lock.error());
  Keyring restored = incoming;
  restored.path_ = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) {
    if (auto saved = restored.save(/*create_new=*/true); !saved) {
      return tl::unexpected(saved.error());
    }
    return Restored::kCreated;
  }
  auto current = load(path);
  if (!current) return tl::unexpected(current.error());
  // Is every version of `inner` in `outer`, with the same secret? The first one that is not.
  auto first_missing = [](const Keyring& inner, const Keyring& outer) -> const KeyVersion* {
    for (const auto& key : inner.keys_) {
      const KeyVersion* other = outer.find(key.version);
      if (other == nullptr || !crypto::constant_time_equal(key.secret, other->secret)) return &key;
    }
    return nullptr;
  };
  const KeyVersion* current_not_incoming = first_missing(*current, incoming);
  const KeyVersion* incoming_not_current = first_missing(incoming, *current);
  if (current_not_incoming == nullptr && incoming_not_current == nullptr) {
    return Restored::kUnchanged;
  }
  if (current_not_incoming == nullptr) {
    if (auto saved = restored.save(/*create_new=*/false); !saved) {
      return tl::unexpected(saved.error());
    }
    return Restored::kExtended;
  }
  if (incoming_not_current == nullptr) return Restored::kNewerHeld;
  const KeyVersion* other = incoming.find(current_not_incoming->version);
  return make_error(ErrorCode::kConflict, "{} holds key version {}{}", path_text(path),
                    current_not_incoming->version,
                    other == nullptr ? ", which the import does not have"
                                     : " with another secret than the import");
}

}  // namespace ferry::keys
