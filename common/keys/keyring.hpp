// The key file of SPEC section 4: <data_dir>/keyring.json, mode 0600.
//
//   {"format": "ferry-keyring-1", "active": 2,
//    "keys": [{"version": 1, "created": "2026-05-01T09:00:00Z", "secret": "<base64 of 32 bytes>"},
//    ...]}
//
// Secrets stay in wiped memory (SecureBytes) from the moment they are read until the Keyring is
// destroyed; parsing and writing use buffers that are wiped too. Old versions are never removed:
// tokens made with them must still reveal. A Keyring is a value; it is not synchronised.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::keys {

inline constexpr std::string_view kKeyringFormat = "ferry-keyring-1";
inline constexpr std::size_t kSecretSize = 32;

// Text that holds secrets (the key file's JSON): wiped when freed or reallocated.
using SecureText =
    std::basic_string<char, std::char_traits<char>, crypto::ZeroizingAllocator<char>>;

struct KeyVersion {
  std::uint32_t version = 0;
  std::string created;  // RFC 3339 UTC, e.g. "2026-11-01T09:00:00Z"
  crypto::SecureBytes secret;
};

class Keyring {
 public:
  // Reads and checks the file: private permissions, owner, not a link (fs::read_secret_file),
  // format, versions, secret sizes.
  static Result<Keyring> load(const std::filesystem::path& path);
  // The same checks of the content, for key file text held in memory (a decrypted export);
  // `path` names it in messages and becomes path().
  static Result<Keyring> parse(std::string_view text, const std::filesystem::path& path);
  // Makes version 1 with a fresh random secret and writes it; refuses to overwrite a file.
  static Result<Keyring> create(const std::filesystem::path& path,
                                std::chrono::system_clock::time_point now);

  // Adds version highest+1 with a fresh secret, makes it active and rewrites the file atomically,
  // all under an exclusive lock on <file>.lock and from the file as it is then (another process
  // may have rotated since this one was loaded). Returns the new version; this Keyring becomes
  // what was written.
  Result<std::uint32_t> rotate(std::chrono::system_clock::time_point now);

  const std::filesystem::path& path() const { return path_; }
  std::uint32_t active_version() const { return active_; }
  const KeyVersion& active() const;
  // nullptr when the version is unknown.
  const KeyVersion* find(std::uint32_t version) const;
  const std::vector<KeyVersion>& versions() const { return keys_; }

  // The key file's text, exactly as it is written to path().
  SecureText serialize() const;

  // What restore() did.
  enum class Restored {
    kCreated,    // there was no key file: `incoming` is the key file now
    kExtended,   // the key file held some of `incoming`'s versions, with the same secrets, and
                 // `incoming` has newer ones: replaced by `incoming` (a later backup restored)
    kUnchanged,  // the key file holds the same versions with the same secrets: nothing written
    kNewerHeld,  // the key file holds every version of `incoming` and newer ones: nothing written
  };
  // Makes `incoming` the key file at `path` (0600, atomically), under the same lock as rotate(),
  // unless that would lose a key: a key file in place whose versions are not all in `incoming`
  // with the same secret (another keyring, or one `incoming` does not know all of) is refused
  // with kConflict, naming the first version that differs, and nothing is written. A key file in
  // place that cannot be read is refused with its own error.
  static Result<Restored> restore(const Keyring& incoming, const std::filesystem::path& path);

 private:
  Result<void> save(bool create_new) const;

  std::filesystem::path path_;
  std::uint32_t active_ = 0;
  std::vector<KeyVersion> keys_;
};

// <data_dir>/keyring.json
std::filesystem::path keyring_path(const std::filesystem::path& data_dir);

// "2026-11-01T09:00:00Z"
std::string format_rfc3339(std::chrono::system_clock::time_point time);

}  // namespace ferry::keys
