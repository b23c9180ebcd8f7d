// Cryptographically secure random bytes (OpenSSL's DRBG, seeded by the OS).
#pragma once

#include <cstdint>
#include <span>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

Result<void> random_fill(std::span<std::uint8_t> out);
Result<SecureBytes> random_secret(std::size_t size);

}  // namespace ferry::crypto
