#include "common/crypto/random.hpp"

#include <algorithm>
#include <climits>

#include <openssl/rand.h>

#include "common/crypto/evp.hpp"

namespace ferry::crypto {
namespace {

// RAND_bytes takes an int length; larger requests are served in pieces.
template <int (*Generate)(unsigned char*, int)>
Result<void> fill_in_pieces(std::span<std::uint8_t> out, std::string_view what) {
  constexpr std::size_t kMaxPiece = 1U << 30;
  while (!out.empty()) {
    const std::size_t piece = std::min(out.size(), kMaxPiece);
    if (Generate(out.data(), static_cast<int>(piece)) != 1) return evp::openssl_error(what);
    out = out.subspan(piece);
  }
  return {};
}

}  // namespace

Result<void> random_fill(std::span<std::uint8_t> out) {
  return fill_in_pieces<RAND_bytes>(out, "RAND_bytes (random bytes)");
}

Result<SecureBytes> random_secret(std::size_t size) {
  SecureBytes secret(size);
  // RAND_priv_bytes draws from a DRBG kept apart from the one whose output may be public (nonces).
  if (auto filled = fill_in_pieces<RAND_priv_bytes>(secret, "RAND_priv_bytes (secret key)");
      !filled) {
    return tl::unexpected(filled.error());
  }
  return secret;
}

}  // namespace ferry::crypto
