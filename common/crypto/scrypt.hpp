// scrypt (RFC 7914), the passphrase KDF of a key export (common/keys/keyring_export.hpp): OpenSSL
// 3.0 has scrypt (EVP_KDF "SCRYPT") but no Argon2.
//
// A stateless function; safe to call from any thread. It takes about 128 * r * N bytes of memory
// and time to match, which is the point: each guess at a passphrase costs an attacker as much.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

struct ScryptParams {
  std::uint64_t n = std::uint64_t{1} << 17;  // CPU/memory cost: a power of two, at least 2
  std::uint32_t r = 8;                       // block size
  std::uint32_t p = 1;                       // parallelism
};

// The most memory one derivation may take (its V array, 128 * r * N bytes), so that a file cannot
// make the importer allocate without bound: 1 GiB (N=2^20 with r=8).
inline constexpr std::uint64_t kScryptMaxMemory = std::uint64_t{1} << 30;

// kInvalidArgument, naming the parameter, when `params` are out of range: N not a power of two of
// at least 2, r or p zero, or more memory than kScryptMaxMemory.
Result<void> check_scrypt_params(const ScryptParams& params);

// scrypt(passphrase, salt, N, r, p, length). Errors: kInvalidArgument (see above, or length 0),
// kCrypto when OpenSSL refuses.
Result<SecureBytes> scrypt(ByteView passphrase, ByteView salt, const ScryptParams& params,
                           std::size_t length);

}  // namespace ferry::crypto
