// HKDF-SHA256 (RFC 5869) and the labelled forms RFC 9180 (HPKE) builds on.
//
// Stateless functions over OpenSSL's EVP_KDF "HKDF"; safe to call from any thread. Every output is
// key material and comes back as SecureBytes. An empty salt means "no salt" (RFC 5869 section 2.2:
// HashLen zero bytes), which is what SPEC section 4 uses.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

inline constexpr std::size_t kSha256Size = 32;
// RFC 5869: L <= 255 * HashLen.
inline constexpr std::size_t kHkdfSha256MaxLength = 255 * kSha256Size;

// PRK = HMAC-SHA256(salt, IKM); 32 bytes.
Result<SecureBytes> hkdf_extract(ByteView salt, ByteView ikm);

// OKM = HKDF-Expand(PRK, info, L). `prk` must be at least 32 bytes; 1 <= length <= 8160.
Result<SecureBytes> hkdf_expand(ByteView prk, ByteView info, std::size_t length);

// Extract then expand in one call: HKDF(IKM, salt, info, L).
Result<SecureBytes> hkdf(ByteView ikm, ByteView salt, ByteView info, std::size_t length);

// RFC 9180 section 4:
//   LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)
//   LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label
//                                               || info, L)
// `suite_id` is "KEM" || kem_id for the KEM and "HPKE" || kem_id || kdf_id || aead_id otherwise.
Result<SecureBytes> hpke_labeled_extract(ByteView suite_id, ByteView salt, std::string_view label,
                                         ByteView ikm);
Result<SecureBytes> hpke_labeled_expand(ByteView suite_id, ByteView prk, std::string_view label,
                                        ByteView info, std::size_t length);

}  // namespace ferry::crypto
