// AES-CMAC (RFC 4493, NIST SP 800-38B) over a pre-keyed OpenSSL AES-CBC context, for S2V in
// AES-SIV (aes_siv.hpp). Composes OpenSSL's AES; never implements the block cipher itself.
//
// The object derives the CMAC subkeys once and keeps one keyed AES-CBC context, so a MAC costs no
// key schedule and no allocation: message blocks are copied into a stack buffer (last block padded
// and masked with its subkey), then CBC-encrypted with a single EVP_EncryptUpdate per 256 bytes;
// the last cipher block is the CMAC. Resetting the CBC IV per call costs more than the AES work
// itself in OpenSSL 3.0 (~150 ns), so the context is never re-initialised: it keeps chaining from
// the last block it produced, and we cancel that chaining value by XOR-ing it into the first
// block we feed (E(C ^ (M1 ^ C)) = E(M1)). If an OpenSSL call ever fails, the chaining value is
// unknown, so the next call re-initialises the IV (the slow path) before trusting it again.
//
// Movable, not copyable, not thread-safe (the CBC context carries state between calls). The
// subkeys are wiped when the object is destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/crypto/bytes.hpp"
#include "common/crypto/evp.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

inline constexpr std::size_t kAesBlockSize = 16;
using AesBlock = std::array<std::uint8_t, kAesBlockSize>;

// GF(2^128) doubling of RFC 5297 section 2.3 / RFC 4493 subkey generation, constant time.
AesBlock gf128_double(const AesBlock& block) noexcept;

class AesCmac {
 public:
  // `key` is 16 bytes (AES-128-CMAC) or 32 bytes (AES-256-CMAC).
  static Result<AesCmac> create(ByteView key);

  AesCmac(AesCmac&& other) noexcept;
  AesCmac& operator=(AesCmac&& other) noexcept;
  AesCmac(const AesCmac&) = delete;
  AesCmac& operator=(const AesCmac&) = delete;
  ~AesCmac();

  Result<AesBlock> mac(ByteView message);
  // CMAC of `message` with `mask` XOR-ed into its last 16 bytes (RFC 5297's "xorend"), without
  // copying the message. Requires message.size() >= 16.
  Result<AesBlock> mac_xorend(ByteView message, const AesBlock& mask);

 private:
  AesCmac(evp::CipherCtx cbc, const AesBlock& subkey1, const AesBlock& subkey2);
  Result<AesBlock> compute(ByteView message, const AesBlock* mask);

  evp::CipherCtx cbc_;  // keyed AES-CBC, padding off; IV set once, then chained across calls
  AesBlock subkey1_{};  // K1 of RFC 4493: masks a complete last block
  AesBlock subkey2_{};  // K2: masks a padded last block
  AesBlock chain_{};    // the CBC context's current chaining value (its last output block)
  bool chain_known_ = true;
};

}  // namespace ferry::crypto
