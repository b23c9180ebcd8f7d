#include "agent/policy/token_factory.hpp"

#include <algorithm>

#include "common/crypto/hkdf.hpp"

namespace ferry::policy {

TokenFactory::TokenFactory(crypto::ByteView secret, std::uint32_t version,
                           crypto::ByteView digest_secret)
    : secret_(secret.begin(), secret.end()),
      digest_secret_(digest_secret.empty() ? secret.begin() : digest_secret.begin(),
                     digest_secret.empty() ? secret.end() : digest_secret.end()),
      version_(version) {}

TokenFactory TokenFactory::for_keyring(const keys::Keyring& keyring, std::uint32_t version) {
  const keys::KeyVersion* key = version == 0 ? &keyring.active() : keyring.find(version);
  if (key == nullptr) key = &keyring.active();
  // The first version never leaves the keyring (versions are only added), so the digest key
  // stays the same across every rotation.
  const auto& all = keyring.versions();
  const auto first = std::min_element(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.version < b.version;
  });
  return TokenFactory(key->secret, key->version, first->secret);
}

Result<crypto::Pseudonymizer*> TokenFactory::pseudonymizer(std::string_view domain) {
  if (auto it = pseudonymizers_.find(domain); it != pseudonymizers_.end()) return &it->second;
  auto made = crypto::Pseudonymizer::create(secret_, version_, domain);
  if (!made) return tl::unexpected(made.error());
  return &pseudonymizers_.emplace(std::string(domain), std::move(*made)).first->second;
}

Result<crypto::Hasher*> TokenFactory::hasher(std::string_view domain) {
  if (auto it = hashers_.find(domain); it != hashers_.end()) return &it->second;
  auto made = crypto::Hasher::create(secret_, version_, domain);
  if (!made) return tl::unexpected(made.error());
  return &hashers_.emplace(std::string(domain), std::move(*made)).first->second;
}

Result<crypto::HmacSha256*> TokenFactory::change_digest() {
  if (change_digest_) return change_digest_.get();
  auto key = crypto::hkdf(digest_secret_, {}, crypto::as_bytes(kChangeDigestInfo), 32);
  if (!key) return tl::unexpected(key.error());
  auto made = crypto::HmacSha256::create(*key);
  if (!made) return tl::unexpected(made.error());
  change_digest_ = std::make_unique<crypto::HmacSha256>(std::move(*made));
  return change_digest_.get();
}

}  // namespace ferry::policy
