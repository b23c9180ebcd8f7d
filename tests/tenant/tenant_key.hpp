// The tenant's X25519 private key file: the standard base64 of the 32 raw bytes and a newline,
// mode 0600. `ferry-tenant keygen` writes it; `serve` reads one or more (--private-key) to open
// batch frames, each known by the id of its public key (frame::tenant_key_id), which batch
// headers and `welcome` name.
#pragma once

#include <filesystem>
#include <string>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::tenant {

// Generates a key pair, writes the private key to `path` (refusing to overwrite) and returns the
// public key.
Result<crypto::Bytes> generate_key_file(const std::filesystem::path& path);

// Reads a key file written by generate_key_file. Refuses a file others can read.
Result<crypto::SecureBytes> read_key_file(const std::filesystem::path& path);

// A private key `serve` holds, with the id of its public key.
struct TenantKey {
  std::string id;
  crypto::SecureBytes private_key;
  std::filesystem::path file;
};

// Reads a key file (read_key_file) and works out its key id.
Result<TenantKey> load_tenant_key(const std::filesystem::path& path);

}  // namespace ferry::tenant
