#include "common/crypto/evp.hpp"

#include <string>

#include <openssl/err.h>

namespace ferry::crypto::evp {

Result<Cipher> fetch_cipher(const char* name) {
  Cipher cipher(EVP_CIPHER_fetch(nullptr, name, nullptr));
  if (!cipher) return openssl_error(fmt::format("fetching cipher {}", name));
  return cipher;
}

Result<Md> fetch_md(const char* name) {
  Md md(EVP_MD_fetch(nullptr, name, nullptr));
  if (!md) return openssl_error(fmt::format("fetching digest {}", name));
  return md;
}

Result<Kdf> fetch_kdf(const char* name) {
  Kdf kdf(EVP_KDF_fetch(nullptr, name, nullptr));
  if (!kdf) return openssl_error(fmt::format("fetching KDF {}", name));
  return kdf;
}

tl::unexpected<Error> openssl_error(std::string_view what) {
  // The first queued error is the root cause; later ones are the callers that passed it on.
  const unsigned long code = ERR_get_error();
  clear_openssl_errors();
  if (code == 0) return make_error(ErrorCode::kCrypto, "{} failed", what);
  char reason[256];
  ERR_error_string_n(code, reason, sizeof(reason));
  return make_error(ErrorCode::kCrypto, "{} failed: {}", what, reason);
}

void clear_openssl_errors() noexcept { ERR_clear_error(); }

}  // namespace ferry::crypto::evp
