// The tenant's X25519 private key file: the standard base64 of the 32 raw bytes and a newline,
// mode 0600. `ferry-tenant keygen` writes it; `serve` reads it to open batch frames.
#pragma once

#include <filesystem>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::tenant {

// Generates a key pair, writes the private key to `path` (refusing to overwrite) and returns the
// public key.
Result<crypto::Bytes> generate_key_file(const std::filesystem::path& path);

// Reads a key file written by generate_key_file. Refuses a file others can read.
Result<crypto::SecureBytes> read_key_file(const std::filesystem::path& path);

}  // namespace ferry::tenant
