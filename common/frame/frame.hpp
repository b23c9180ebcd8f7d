// The batch frame of SPEC section 5: one WebSocket binary message per batch, and the same bytes the
// spool stores.
//
//   "FRY1" | H: uint32 big-endian | header: H bytes of UTF-8 JSON | enc: 32 bytes | HPKE ciphertext
//
// The ciphertext is HPKE base mode (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM) to the
// tenant's public key, with info "ferry batch v1" and the header bytes, exactly as framed, as
// associated data. The plaintext is one zstd frame of JSON Lines.
//
// The header names the tenant key the batch is sealed to (`tenant_key_id`, tenant_key_id()), so a
// tenant that rotates its own key knows which private key opens it. Frames of agents from before
// it lack the key: parsing accepts that (Header::tenant_key_id is then empty).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::frame {

inline constexpr std::string_view kMagic = "FRY1";
inline constexpr std::string_view kHpkeInfo = "ferry batch v1";
inline constexpr std::string_view kEncoding = "jsonl+zstd";
inline constexpr std::size_t kEncSize = 32;
inline constexpr std::size_t kMaxHeaderSize = 64 * 1024;
// A tenant key id: lowercase hex of the first 8 bytes of the SHA-256 of the public key.
inline constexpr std::size_t kKeyIdSize = 16;

struct Header {
  int v = 1;
  std::string batch_id;  // UUID
  std::string agent_id;
  std::string tenant_id;
  std::string spool_id;
  std::uint64_t seq = 0;
  std::string kind = "rows";  // "rows", "erase" or "rekey"
  std::string source;
  std::string stream;
  std::uint64_t rows = 0;
  std::string encoding = std::string(kEncoding);
  std::uint32_t key_version = 0;
  std::string created_at;  // RFC 3339 UTC
  // The id of the tenant public key the batch is sealed to (tenant_key_id()); "" in frames made
  // before headers carried it.
  std::string tenant_key_id;

  // Compact JSON with every key of SPEC section 5, in that order, then "tenant_key_id" when set.
  std::string to_json() const;
  // Parses and checks that every key of SPEC section 5 is present with the right type;
  // "tenant_key_id" may be absent, and when present must be kKeyIdSize lowercase hex digits.
  static Result<Header> from_json(std::string_view json);
};

// The id of an X25519 public key as batch headers, `welcome` and `ferry status` name it:
// lowercase hex of the first 8 bytes of its SHA-256 ("3f9a0c1d2e4b5a69"). Not secret.
Result<std::string> tenant_key_id(crypto::ByteView public_key);

// Whether `text` has the form of a key id (kKeyIdSize lowercase hex digits).
bool is_key_id(std::string_view text);

// Seals `compressed` (a zstd frame of JSON Lines) into a frame for `tenant_public_key`. A header
// with a tenant_key_id must name that key (kInternal otherwise: a caller's bug); one without it
// makes a frame of the older form (tests of tenants that must still take those).
Result<crypto::Bytes> seal(const Header& header, crypto::ByteView tenant_public_key,
                           crypto::ByteView compressed);

// The parts of a frame, as views into it.
struct FrameView {
  std::string_view header_json;
  crypto::ByteView enc;
  crypto::ByteView ciphertext;
};

// Splits a frame and checks its structure (magic, lengths); decrypts nothing.
Result<FrameView> split(crypto::ByteView frame);

struct Opened {
  Header header;
  std::string plaintext;  // the decompressed JSON Lines
};

// Splits, decrypts with the tenant's private key (authenticating the header) and decompresses.
// `max_plaintext` bounds the decompressed size (a zip bomb guard).
Result<Opened> open(crypto::ByteView frame, crypto::ByteView tenant_private_key,
                    std::size_t max_plaintext = 512u * 1024 * 1024);

// zstd of one whole buffer (one frame) and back.
Result<crypto::Bytes> zstd_compress(std::string_view text, int level = 3);
Result<std::string> zstd_decompress(crypto::ByteView compressed, std::size_t max_size);

// A random (version 4) UUID in lower-case hex: "f47ac10b-58cc-4372-a567-0e02b2c3d479".
Result<std::string> new_uuid();

}  // namespace ferry::frame
