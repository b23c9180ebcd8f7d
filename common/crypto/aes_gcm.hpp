// AES-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag appended to the ciphertext:
// the AEAD of HPKE (hpke.hpp). A 32-byte key selects AES-256-GCM, a 16-byte key AES-128-GCM.
//
// Stateless one-shot functions (each call keys its own EVP context); safe from any thread. A nonce
// must never repeat under one key: HPKE guarantees that by deriving a fresh key per message.
#pragma once

#include <cstddef>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

inline constexpr std::size_t kAesGcmNonceSize = 12;
inline constexpr std::size_t kAesGcmTagSize = 16;

// Returns ciphertext || tag (plaintext.size() + 16 bytes).
Result<Bytes> aes_gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);

// Opens ciphertext || tag. A wrong key, nonce, aad, or any altered byte gives kCorrupt
// "AES-GCM authentication failed", and no plaintext.
Result<Bytes> aes_gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed);

}  // namespace ferry::crypto
