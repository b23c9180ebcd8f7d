#include "common/crypto/sha256.hpp"

namespace ferry::crypto {

Result<Sha256> Sha256::create() {
  auto md = evp::fetch_md("SHA256");
  if (!md) return tl::unexpected(md.error());
  evp::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return evp::openssl_error("EVP_MD_CTX_new");
  return Sha256(std::move(*md), std::move(ctx));
}

Result<Sha256::Digest> Sha256::digest(ByteView data) {
  Digest out{};
  unsigned int size = 0;
  if (EVP_DigestInit_ex2(ctx_.get(), md_.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_.get(), out.data(), &size) != 1 || size != kSize) {
    return evp::openssl_error("SHA-256");
  }
  return out;
}

}  // namespace ferry::crypto
