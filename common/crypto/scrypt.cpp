#include "common/crypto/scrypt.hpp"

#include <cstdint>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "common/crypto/evp.hpp"

namespace ferry::crypto {
namespace {

// OSSL_PARAM octet strings must not point at NULL even when empty; an empty span's data() may be.
void* param_data(ByteView bytes) {
  static std::uint8_t empty = 0;
  return bytes.empty() ? &empty : const_cast<std::uint8_t*>(bytes.data());
}

// 128 * r * N: the V array, which is nearly all the memory a derivation takes. Saturates at
// UINT64_MAX instead of overflowing.
std::uint64_t memory_of(const ScryptParams& params) {
  if (params.n > kScryptMaxMemory || params.r > kScryptMaxMemory / 128) return UINT64_MAX;
  // Now 128 * r <= 2^30 and N <= 2^30: the product fits.
  return std::uint64_t{128} * params.r * params.n;
}

}  // namespace

Result<void> check_scrypt_params(const ScryptParams& params) {
  if (params.n < 2 || (params.n & (params.n - 1)) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "scrypt N must be a power of two of at least 2, got {}", params.n);
  }
  if (params.r == 0 || params.p == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "scrypt r and p must be at least 1, got {} and {}", params.r, params.p);
  }
  // RFC 7914 section 2: N < 2^(128 * r / 8), and p * r < 2^30 (OpenSSL's bound).
  if (params.r < 4 && params.n >= (std::uint64_t{1} << (16u * params.r))) {
    return make_error(ErrorCode::kInvalidArgument, "scrypt N={} is too large for r={}", params.n,
                      params.r);
  }
  if (std::uint64_t{params.p} * params.r >= (std::uint64_t{1} << 30)) {
    return make_error(ErrorCode::kInvalidArgument, "scrypt p={} is too large for r={}", params.p,
                      params.r);
  }
  if (memory_of(params) > kScryptMaxMemory) {
    return make_error(ErrorCode::kInvalidArgument,
                      "scrypt N={} r={} p={} needs more than {} MiB of memory", params.n, params.r,
                      params.p, kScryptMaxMemory >> 20);
  }
  return {};
}

Result<SecureBytes> scrypt(ByteView passphrase, ByteView salt, const ScryptParams& params,
                           std::size_t length) {
  if (auto ok = check_scrypt_params(params); !ok) return tl::unexpected(ok.error());
  if (length == 0) {
    return make_error(ErrorCode::kInvalidArgument, "scrypt output length must be at least 1");
  }
  auto kdf = evp::fetch_kdf("SCRYPT");
  if (!kdf) return tl::unexpected(kdf.error());
  evp::KdfCtx ctx(EVP_KDF_CTX_new(kdf->get()));
  if (!ctx) return evp::openssl_error("scrypt: EVP_KDF_CTX_new");

  std::uint64_t n = params.n;
  std::uint32_t r = params.r;
  std::uint32_t p = params.p;
  // OpenSSL refuses a derivation above its own limit (1 GiB by default); ours is checked above,
  // so let OpenSSL allow a little more than ours.
  std::uint64_t max_memory = kScryptMaxMemory + (std::uint64_t{64} << 20);
  OSSL_PARAM ossl_params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, param_data(passphrase),
                                        passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_data(salt), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &max_memory),
      OSSL_PARAM_construct_end()};

  SecureBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), ossl_params) != 1) {
    return evp::openssl_error("scrypt: EVP_KDF_derive");
  }
  return out;
}

}  // namespace ferry::crypto
