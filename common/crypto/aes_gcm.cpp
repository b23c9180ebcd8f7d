#include "common/crypto/aes_gcm.hpp"

#include <algorithm>
#include <climits>

#include <openssl/core_names.h>

#include "common/crypto/evp.hpp"

namespace ferry::crypto {
namespace {

// A keyed context for encryption or decryption, after checking sizes.
Result<evp::CipherCtx> keyed_context(ByteView key, ByteView nonce, std::size_t data_size,
                                     bool encrypt) {
  if (key.size() != 16 && key.size() != 32) {
    return make_error(ErrorCode::kInvalidArgument, "AES-GCM key must be 16 or 32 bytes, got {}",
                      key.size());
  }
  if (nonce.size() != kAesGcmNonceSize) {
    return make_error(ErrorCode::kInvalidArgument, "AES-GCM nonce must be {} bytes, got {}",
                      kAesGcmNonceSize, nonce.size());
  }
  if (data_size > static_cast<std::size_t>(INT_MAX) - kAesGcmTagSize) {
    return make_error(ErrorCode::kInvalidArgument, "AES-GCM message of {} bytes is too large",
                      data_size);
  }
  auto cipher = evp::fetch_cipher(key.size() == 16 ? "AES-128-GCM" : "AES-256-GCM");
  if (!cipher) return tl::unexpected(cipher.error());
  evp::CipherCtx ctx(EVP_CIPHER_CTX_new());
  // 12 bytes is AES-GCM's default IV length, so no EVP_CTRL_GCM_SET_IVLEN is needed.
  const int ok = ctx ? EVP_CipherInit_ex2(ctx.get(), cipher->get(), key.data(), nonce.data(),
                                          encrypt ? 1 : 0, nullptr)
                     : 0;
  if (ok != 1) return evp::openssl_error("AES-GCM: keying");
  return ctx;
}

Result<void> feed_aad(EVP_CIPHER_CTX* ctx, ByteView aad) {
  if (aad.empty()) return {};
  int written = 0;
  if (EVP_CipherUpdate(ctx, nullptr, &written, aad.data(), static_cast<int>(aad.size())) != 1) {
    return evp::openssl_error("AES-GCM: associated data");
  }
  return {};
}

}  // namespace

Result<Bytes> aes_gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  auto ctx = keyed_context(key, nonce, std::max(plaintext.size(), aad.size()), true);
  if (!ctx) return tl::unexpected(ctx.error());
  if (auto fed = feed_aad(ctx->get(), aad); !fed) return tl::unexpected(fed.error());

  Bytes sealed(plaintext.size() + kAesGcmTagSize);
  int written = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx->get(), sealed.data(), &written, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1) {
    return evp::openssl_error("AES-GCM: encrypting");
  }
  int final_written = 0;
  if (EVP_EncryptFinal_ex(ctx->get(), sealed.data() + written, &final_written) != 1 ||
      static_cast<std::size_t>(written + final_written) != plaintext.size()) {
    return evp::openssl_error("AES-GCM: finishing");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize),
                          sealed.data() + plaintext.size()) != 1) {
    return evp::openssl_error("AES-GCM: reading the tag");
  }
  return sealed;
}

Result<Bytes> aes_gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed) {
  if (sealed.size() < kAesGcmTagSize) {
    return make_error(ErrorCode::kCorrupt,
                      "AES-GCM ciphertext is {} bytes, shorter than its 16-byte tag",
                      sealed.size());
  }
  auto ctx = keyed_context(key, nonce, std::max(sealed.size(), aad.size()), false);
  if (!ctx) return tl::unexpected(ctx.error());
  if (auto fed = feed_aad(ctx->get(), aad); !fed) return tl::unexpected(fed.error());

  const ByteView ciphertext = sealed.first(sealed.size() - kAesGcmTagSize);
  const ByteView tag = sealed.last(kAesGcmTagSize);
  Bytes plaintext(ciphertext.size());
  int written = 0;
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx->get(), plaintext.data(), &written, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1) {
    return evp::openssl_error("AES-GCM: decrypting");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAesGcmTagSize),
                          const_cast<std::uint8_t*>(tag.data())) != 1) {
    return evp::openssl_error("AES-GCM: setting the tag");
  }
  int final_written = 0;
  if (EVP_DecryptFinal_ex(ctx->get(), plaintext.data() + written, &final_written) != 1) {
    // The only way Final fails here is a tag mismatch: report it as data, not a library fault.
    evp::clear_openssl_errors();
    secure_wipe(plaintext.data(), plaintext.size());
    return make_error(ErrorCode::kCorrupt, "AES-GCM authentication failed");
  }
  return plaintext;
}

}  // namespace ferry::crypto
