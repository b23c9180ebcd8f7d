// HPKE (RFC 9180) base mode for DHKEM(X25519, HKDF-SHA256) 0x0020 and HKDF-SHA256 0x0001, with
// AES-128-GCM 0x0001 or AES-256-GCM 0x0002: the encryption of batch frames (SPEC section 5).
// OpenSSL 3.0 has no HPKE API; this is written over x25519.hpp, hkdf.hpp and aes_gcm.hpp.
//
// Single-shot use (what Ferry needs): hpke_seal() on the agent with the tenant's public key,
// hpke_open() on the tenant with its private key. The context API below is the RFC's multi-message
// interface, kept small; it is what the RFC's test vectors exercise.
//
// Functions are stateless and thread-safe; an HpkeContext is a value owned by its caller and, like
// any object with a sequence number, must not be used from two threads at once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

enum class HpkeAead : std::uint16_t {
  kAes128Gcm = 0x0001,
  kAes256Gcm = 0x0002,  // SPEC section 5
};

inline constexpr std::size_t kHpkeEncSize = 32;  // X25519 public key

struct HpkeSealed {
  Bytes enc;         // the ephemeral public key, 32 bytes
  Bytes ciphertext;  // AEAD output: plaintext.size() + 16 bytes
};

// SealBase(pkR, info, aad, pt) with a fresh ephemeral key.
Result<HpkeSealed> hpke_seal(HpkeAead aead, ByteView recipient_public, ByteView info, ByteView aad,
                             ByteView plaintext);

// The same with a caller-chosen ephemeral private key, for known-answer tests only: reusing an
// ephemeral key across messages breaks HPKE's security.
Result<HpkeSealed> hpke_seal_with_ephemeral(HpkeAead aead, ByteView ephemeral_private,
                                            ByteView recipient_public, ByteView info, ByteView aad,
                                            ByteView plaintext);

// OpenBase(enc, skR, info, aad, ct). A wrong key, enc, info or aad, or any altered byte, gives
// kCorrupt "HPKE: AES-GCM authentication failed".
Result<Bytes> hpke_open(HpkeAead aead, ByteView recipient_private, ByteView enc, ByteView info,
                        ByteView aad, ByteView ciphertext);

// An RFC 9180 section 5.2 encryption context: the sender seals, the receiver opens, each message
// under the next nonce (base_nonce xor sequence number).
class HpkeContext {
 public:
  Result<Bytes> seal(ByteView aad, ByteView plaintext);
  Result<Bytes> open(ByteView aad, ByteView ciphertext);
  // Export(exporter_context, L), section 5.3.
  Result<SecureBytes> export_secret(ByteView exporter_context, std::size_t length) const;

  std::uint64_t sequence() const { return sequence_; }

 private:
  friend class HpkeKeySchedule;
  HpkeContext() = default;
  Result<Bytes> next_nonce();

  HpkeAead aead_ = HpkeAead::kAes256Gcm;
  SecureBytes key_;
  Bytes base_nonce_;
  SecureBytes exporter_secret_;
  std::uint64_t sequence_ = 0;
};

struct HpkeSender {
  Bytes enc;
  HpkeContext context;
};

Result<HpkeSender> hpke_setup_base_sender(HpkeAead aead, ByteView recipient_public, ByteView info);
Result<HpkeSender> hpke_setup_base_sender_with_ephemeral(HpkeAead aead, ByteView ephemeral_private,
                                                         ByteView recipient_public, ByteView info);
Result<HpkeContext> hpke_setup_base_receiver(HpkeAead aead, ByteView recipient_private,
                                             ByteView enc, ByteView info);

}  // namespace ferry::crypto
