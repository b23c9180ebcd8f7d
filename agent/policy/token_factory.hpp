// One Pseudonymizer and one Hasher per domain for one key version, derived on first use and kept,
// so that many fields in one domain share one keyed state; and the keyed hash of change detection
// (docs/key-rotation.md), whose key does not rotate with the token key. Not thread-safe: one per
// worker thread. Pointers it returns stay valid for the factory's lifetime.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/crypto/hmac.hpp"
#include "common/crypto/tokens.hpp"
#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::policy {

// info of the change-digest key: HKDF-SHA256(secret of the keyring's first version, salt "",
// info, 32).
inline constexpr std::string_view kChangeDigestInfo = "ferry/change-digest/v1";

class TokenFactory {
 public:
  // Tokens of `version` made with `secret`; the change digest keyed from `digest_secret` (the
  // keyring's first version: see for_keyring()), or from `secret` when it is empty (tests).
  TokenFactory(crypto::ByteView secret, std::uint32_t version,
               crypto::ByteView digest_secret = {});
  // The keyring's active version (or `version`, which must exist), the digest keyed from its
  // lowest version.
  static TokenFactory for_keyring(const keys::Keyring& keyring, std::uint32_t version = 0);

  Result<crypto::Pseudonymizer*> pseudonymizer(std::string_view domain);
  Result<crypto::Hasher*> hasher(std::string_view domain);
  // The keyed hash change detection digests rows with: the same for every key version.
  Result<crypto::HmacSha256*> change_digest();
  std::uint32_t version() const { return version_; }

 private:
  crypto::SecureBytes secret_;
  crypto::SecureBytes digest_secret_;
  std::uint32_t version_;
  std::map<std::string, crypto::Pseudonymizer, std::less<>> pseudonymizers_;
  std::map<std::string, crypto::Hasher, std::less<>> hashers_;
  std::unique_ptr<crypto::HmacSha256> change_digest_;
};

}  // namespace ferry::policy
