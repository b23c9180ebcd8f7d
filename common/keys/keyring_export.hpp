// A key export (`ferry keys export` / `ferry keys import`): the key file encrypted under a
// passphrase, for a backup kept off the machine. docs/security.md ("Key export file") describes the
// format byte for byte, since another build (Windows) imports the same file:
//
//   {"format":"ferry-key-export-1","exported":"2026-11-23T10:00:00Z","agent_id":"school-042",
//    "active":2,"keys":[{"version":1,"created":"..."},{"version":2,"created":"..."}],
//    "kdf":{"name":"scrypt","n":131072,"r":8,"p":1,"salt":"<base64>"},
//    "cipher":{"name":"aes-256-gcm","nonce":"<base64>"},"ciphertext":"<base64>"}
//
// The key is scrypt(passphrase, salt, N, r, p) (32 bytes), the cipher AES-256-GCM, the plaintext
// the key file's own text (keyring.hpp), and the associated data a canonical text of every other
// field (export_aad()): which versions the file holds can be shown before the passphrase is asked,
// and no field can be changed without the tag failing. The scrypt cost is stored in the file, so
// a later Ferry may raise it and still read older exports.
//
// Secrets (the passphrase, the derived key, the plaintext) live only in wiped memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto/bytes.hpp"
#include "common/crypto/scrypt.hpp"
#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::keys {

inline constexpr std::string_view kExportFormat = "ferry-key-export-1";
// A passphrase shorter than this is refused by `ferry keys export` (not by import: a file made
// elsewhere opens with whatever it was made with).
inline constexpr std::size_t kMinPassphraseLength = 12;
// Longer is refused when reading one: no one types more, and a file is bounded.
inline constexpr std::size_t kMaxPassphraseLength = 1024;
// An export is a few KiB; anything far larger is not one.
inline constexpr std::size_t kMaxExportSize = 1024 * 1024;
inline constexpr std::size_t kExportSaltSize = 16;

// One key version as the file lists it in the clear: never the secret.
struct ExportedKey {
  std::uint32_t version = 0;
  std::string created;
};

// Everything in an export file but the ciphertext: readable without the passphrase, and
// authenticated by it.
struct ExportHeader {
  std::string exported;  // RFC 3339 UTC
  std::string agent_id;
  std::uint32_t active = 0;
  std::vector<ExportedKey> keys;  // ascending versions
  crypto::ScryptParams kdf;
  crypto::Bytes salt;
  crypto::Bytes nonce;
};

struct ExportFile {
  ExportHeader header;
  crypto::Bytes sealed;  // AES-256-GCM ciphertext || 16-byte tag
};

// The file's text for `keyring`, encrypted under `passphrase` with a fresh salt and nonce.
// `kdf` is the scrypt cost (the default: N=2^17, r=8, p=1; tests pass less). Errors:
// kInvalidArgument for an agent id or a created date the format cannot carry, kCrypto.
Result<std::string> seal_export(const Keyring& keyring, crypto::ByteView passphrase,
                                std::string_view agent_id,
                                std::chrono::system_clock::time_point now,
                                const crypto::ScryptParams& kdf = {});

// Reads the clear part of an export; `path` names the file in messages. Errors: kCorrupt naming
// the field and what it must be ("FILE is not a Ferry key export: ..."), kInvalidArgument for a
// format of a newer Ferry.
Result<ExportFile> parse_export(std::string_view text, const std::filesystem::path& path);

// Decrypts the keys; the Keyring's path() is `keyring_path` (where it is meant to go). A wrong
// passphrase and a changed byte anywhere are the same kCorrupt "wrong passphrase or damaged
// file" error: GCM cannot tell them apart.
Result<Keyring> open_export(const ExportFile& file, crypto::ByteView passphrase,
                            const std::filesystem::path& path,
                            const std::filesystem::path& keyring_path);

// The associated data: one line per field, each ending in "\n" (docs/security.md).
std::string export_aad(const ExportHeader& header);

// "versions 1-3 (active 3)", "version 1 (active)": for messages.
std::string describe_versions(const std::vector<ExportedKey>& keys, std::uint32_t active);
std::string describe_versions(const Keyring& keyring);

}  // namespace ferry::keys
