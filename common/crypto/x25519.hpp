// X25519 Diffie-Hellman (RFC 7748) on raw 32-byte keys, over OpenSSL's EVP_PKEY: the KEM of HPKE.
//
// Stateless functions; safe from any thread. Private keys and shared secrets come back as
// SecureBytes; public keys are plain Bytes.
#pragma once

#include <cstddef>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

inline constexpr std::size_t kX25519KeySize = 32;

struct X25519KeyPair {
  SecureBytes private_key;  // 32 bytes
  Bytes public_key;         // 32 bytes
};

// A fresh key pair from OpenSSL's DRBG.
Result<X25519KeyPair> x25519_generate_keypair();

// The public key of a 32-byte private key.
Result<Bytes> x25519_public_from_private(ByteView private_key);

// X25519(private_key, peer_public_key). An all-zero result (a low-order peer key) is refused, as
// RFC 7748 section 6.1 and RFC 9180 section 7.1.4 require: kInvalidArgument.
Result<SecureBytes> x25519_derive(ByteView private_key, ByteView peer_public_key);

// Whether `public_key` is one a sender can seal to: 32 bytes, and not of low order (all zeros
// and the other points whose shared secret is zero for every private key). Checked by a key
// agreement with a fresh private key; kInvalidArgument otherwise.
Result<void> x25519_check_public_key(ByteView public_key);

}  // namespace ferry::crypto
