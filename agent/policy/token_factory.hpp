// One Pseudonymizer and one Hasher per domain for the active key version, derived on first use
// and kept, so that many fields in one domain share one keyed state. Not thread-safe: one per
// worker thread. Pointers it returns stay valid for the factory's lifetime.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/crypto/tokens.hpp"
#include "common/error/error.hpp"

namespace ferry::policy {

class TokenFactory {
 public:
  TokenFactory(crypto::ByteView secret, std::uint32_t version);

  Result<crypto::Pseudonymizer*> pseudonymizer(std::string_view domain);
  Result<crypto::Hasher*> hasher(std::string_view domain);
  std::uint32_t version() const { return version_; }

 private:
  crypto::SecureBytes secret_;
  std::uint32_t version_;
  std::map<std::string, crypto::Pseudonymizer, std::less<>> pseudonymizers_;
  std::map<std::string, crypto::Hasher, std::less<>> hashers_;
};

}  // namespace ferry::policy
