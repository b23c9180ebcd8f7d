#include "common/crypto/hkdf.hpp"

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

// One EVP_KDF "HKDF" derivation in `mode` (EVP_KDF_HKDF_MODE_*).
Result<SecureBytes> run_hkdf(int mode, ByteView key, ByteView salt, ByteView info,
                             std::size_t length, std::string_view what) {
  auto kdf = evp::fetch_kdf("HKDF");
  if (!kdf) return tl::unexpected(kdf.error());
  evp::KdfCtx ctx(EVP_KDF_CTX_new(kdf->get()));
  if (!ctx) return evp::openssl_error(fmt::format("{}: EVP_KDF_CTX_new", what));

  char digest[] = "SHA256";
  OSSL_PARAM params[6];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, param_data(key), key.size());
  // Left out when empty: OpenSSL then extracts with the RFC's default all-zero salt, the same PRK.
  if (!salt.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_data(salt), salt.size());
  }
  if (!info.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, param_data(info), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();

  SecureBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return evp::openssl_error(fmt::format("{}: EVP_KDF_derive", what));
  }
  return out;
}

Result<void> check_length(std::size_t length) {
  if (length == 0 || length > kHkdfSha256MaxLength) {
    return make_error(ErrorCode::kInvalidArgument,
                      "HKDF-SHA256 output length {} is out of range (1 to {} bytes)", length,
                      kHkdfSha256MaxLength);
  }
  return {};
}

// "HPKE-v1" || suite_id || label || tail, kept in wiping memory since `tail` may be a secret.
SecureBytes hpke_labeled(ByteView prefix, ByteView suite_id, std::string_view label,
                         ByteView tail) {
  constexpr std::string_view kVersion = "HPKE-v1";
  SecureBytes out;
  out.reserve(prefix.size() + kVersion.size() + suite_id.size() + label.size() + tail.size());
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), kVersion.begin(), kVersion.end());
  out.insert(out.end(), suite_id.begin(), suite_id.end());
  out.insert(out.end(), label.begin(), label.end());
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace

Result<SecureBytes> hkdf_extract(ByteView salt, ByteView ikm) {
  return run_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, salt, {}, kSha256Size,
                  "HKDF-SHA256 extract");
}

Result<SecureBytes> hkdf_expand(ByteView prk, ByteView info, std::size_t length) {
  if (auto ok = check_length(length); !ok) return tl::unexpected(ok.error());
  if (prk.size() < kSha256Size) {
    return make_error(ErrorCode::kInvalidArgument,
                      "HKDF-SHA256 expand needs a PRK of at least {} bytes, got {}", kSha256Size,
                      prk.size());
  }
  return run_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, {}, info, length, "HKDF-SHA256 expand");
}

Result<SecureBytes> hkdf(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
  if (auto ok = check_length(length); !ok) return tl::unexpected(ok.error());
  return run_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, salt, info, length, "HKDF-SHA256");
}

Result<SecureBytes> hpke_labeled_extract(ByteView suite_id, ByteView salt, std::string_view label,
                                         ByteView ikm) {
  const SecureBytes labeled_ikm = hpke_labeled({}, suite_id, label, ikm);
  return hkdf_extract(salt, labeled_ikm);
}

Result<SecureBytes> hpke_labeled_expand(ByteView suite_id, ByteView prk, std::string_view label,
                                        ByteView info, std::size_t length) {
  if (length > 0xffff) {
    return make_error(ErrorCode::kInvalidArgument, "HPKE LabeledExpand length {} exceeds 65535",
                      length);
  }
  const std::uint8_t encoded_length[2] = {static_cast<std::uint8_t>(length >> 8),
                                          static_cast<std::uint8_t>(length & 0xff)};
  const SecureBytes labeled_info = hpke_labeled(encoded_length, suite_id, label, info);
  return hkdf_expand(prk, labeled_info, length);
}

}  // namespace ferry::crypto
