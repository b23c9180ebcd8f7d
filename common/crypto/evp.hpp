// RAII owners for the OpenSSL objects the crypto code uses, and the one way we turn an OpenSSL
// failure into an Error. Internal to common/crypto: other subsystems call the typed functions
// (hkdf.hpp, aes_gcm.hpp, ...) and never see an EVP pointer.
//
// Each alias is a std::unique_ptr whose deleter calls the matching *_free function, so an object
// is released on every path, including early error returns. Fetched algorithms (EVP_CIPHER,
// EVP_MD, EVP_MAC, EVP_KDF) are owned the same way. All of these are plain handles: an object is
// safe to use from one thread at a time.
#pragma once

#include <memory>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common/error/error.hpp"

namespace ferry::crypto::evp {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};

using Cipher = std::unique_ptr<EVP_CIPHER, Deleter<EVP_CIPHER, EVP_CIPHER_free>>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using Md = std::unique_ptr<EVP_MD, Deleter<EVP_MD, EVP_MD_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Kdf = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF, EVP_KDF_free>>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;

// Fetches an algorithm from the default library context; an error names the algorithm.
Result<Cipher> fetch_cipher(const char* name);
Result<Md> fetch_md(const char* name);
Result<Kdf> fetch_kdf(const char* name);

// A kCrypto error "<what> failed: <OpenSSL's reason>", draining OpenSSL's thread-local error queue
// so a stale entry never shows up under a later, unrelated failure.
[[nodiscard]] tl::unexpected<Error> openssl_error(std::string_view what);

// Empties OpenSSL's error queue without reporting: for failures we report in our own words (an
// authentication failure is a property of the data, not a library fault).
void clear_openssl_errors() noexcept;

}  // namespace ferry::crypto::evp
