// SHA-256 for many small inputs: the algorithm is fetched once and one context is reused, so a
// digest costs the hashing alone (the one-shot EVP_Digest looks the algorithm up and allocates a
// context on every call). Movable, not copyable, not thread-safe: keep one object per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/crypto/bytes.hpp"
#include "common/crypto/evp.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

class Sha256 {
 public:
  static constexpr std::size_t kSize = 32;
  using Digest = std::array<std::uint8_t, kSize>;

  static Result<Sha256> create();
  Result<Digest> digest(ByteView data);

 private:
  Sha256(evp::Md md, evp::MdCtx ctx) : md_(std::move(md)), ctx_(std::move(ctx)) {}
  evp::Md md_;
  evp::MdCtx ctx_;
};

}  // namespace ferry::crypto
