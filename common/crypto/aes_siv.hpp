// AES-SIV (RFC 5297): deterministic authenticated encryption, the cipher of pseudonym tokens.
//
// Output layout is the RFC's: V (16-byte synthetic IV) || C, so sealed.size() = plaintext + 16.
// A 64-byte key is AES-SIV-512 (S2V with AES-256-CMAC under K1 = key[0..32), CTR with AES-256
// under K2 = key[32..64)), as SPEC section 4 requires; a 32-byte key gives AES-SIV-256 (AES-128),
// kept for the RFC's own test vectors. Associated data is an ordered list of S2V components (at
// most 126; a nonce, if used, is simply the last one); tokens pass none.
//
// The object keys everything once: the CMAC subkeys, D = CMAC(K1, 0^128) (the S2V starting value,
// constant per key), and a keyed AES-ECB context for K2 that turns counter blocks into key stream
// with one EVP call per 256 bytes. A call does no key schedule and no heap allocation; the no-AD
// case and the general case run the same code. OpenSSL's own "AES-256-SIV" cipher re-keys on every
// call (~0.25 M/s), hence this composition.
//
// Movable, not copyable, not thread-safe (keep one per thread). Key-derived state is wiped on
// destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

class AesSiv {
 public:
  static constexpr std::size_t kSivSize = 16;
  static constexpr std::size_t kMaxAssociatedData = 126;

  // `key` is 64 bytes (AES-SIV-512) or 32 bytes (AES-SIV-256).
  static Result<AesSiv> create(ByteView key);

  AesSiv(AesSiv&&) noexcept;
  AesSiv& operator=(AesSiv&&) noexcept;
  ~AesSiv();

  // Writes V || C into `sealed`, which must be exactly plaintext.size() + 16 bytes and must not
  // overlap `plaintext`.
  Result<void> encrypt(std::span<const ByteView> associated_data, ByteView plaintext,
                       std::span<std::uint8_t> sealed);
  Result<Bytes> encrypt(std::span<const ByteView> associated_data, ByteView plaintext);

  // Checks V in constant time and writes the plaintext into `plaintext`, which must be exactly
  // sealed.size() - 16 bytes. On an authentication failure (kCorrupt, "AES-SIV authentication
  // failed") `plaintext` is wiped.
  Result<void> decrypt(std::span<const ByteView> associated_data, ByteView sealed,
                       std::span<std::uint8_t> plaintext);
  Result<Bytes> decrypt(std::span<const ByteView> associated_data, ByteView sealed);

 private:
  struct State;
  explicit AesSiv(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ferry::crypto
