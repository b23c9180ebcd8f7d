#include "agent/policy/token_factory.hpp"

namespace ferry::policy {

TokenFactory::TokenFactory(crypto::ByteView secret, std::uint32_t version)
    : secret_(secret.begin(), secret.end()), version_(version) {}

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

}  // namespace ferry::policy
