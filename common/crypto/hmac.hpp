// HMAC-SHA256 (RFC 2104), one-shot and as a keyed object for repeated use.
//
// HmacSha256 absorbs the key once: it keeps two SHA-256 contexts that have already hashed
// (key ^ ipad) and (key ^ opad), so a MAC costs two compressions for short inputs and no key
// processing. The object owns its OpenSSL contexts (they hold key-equivalent state and are wiped
// by OpenSSL on free); it is movable, not copyable, and not thread-safe: mac() reuses a working
// context, so keep one object per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/crypto/bytes.hpp"
#include "common/crypto/evp.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

class HmacSha256 {
 public:
  static constexpr std::size_t kSize = 32;
  using Tag = std::array<std::uint8_t, kSize>;

  // Any key length; keys longer than the 64-byte SHA-256 block are hashed first (RFC 2104).
  static Result<HmacSha256> create(ByteView key);

  Result<Tag> mac(ByteView data);

 private:
  HmacSha256(evp::MdCtx inner, evp::MdCtx outer, evp::MdCtx work);

  evp::MdCtx inner_;  // SHA-256 after (key ^ ipad)
  evp::MdCtx outer_;  // SHA-256 after (key ^ opad)
  evp::MdCtx work_;   // scratch, overwritten by each mac()
};

// HMAC-SHA256(key, data) without keeping the key schedule.
Result<HmacSha256::Tag> hmac_sha256(ByteView key, ByteView data);

}  // namespace ferry::crypto
