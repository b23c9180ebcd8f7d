#include "common/crypto/hpke.hpp"

#include <limits>

#include "common/crypto/aes_gcm.hpp"
#include "common/crypto/hkdf.hpp"
#include "common/crypto/x25519.hpp"

namespace ferry::crypto {
namespace {

constexpr std::uint16_t kKemX25519Sha256 = 0x0020;
constexpr std::uint16_t kKdfHkdfSha256 = 0x0001;
constexpr std::uint8_t kModeBase = 0x00;
constexpr std::size_t kNonceSize = kAesGcmNonceSize;

void append_u16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

// "KEM" || I2OSP(kem_id, 2)
Bytes kem_suite_id() {
  Bytes id = text_bytes("KEM");
  append_u16(id, kKemX25519Sha256);
  return id;
}

// "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)
Bytes hpke_suite_id(HpkeAead aead) {
  Bytes id = text_bytes("HPKE");
  append_u16(id, kKemX25519Sha256);
  append_u16(id, kKdfHkdfSha256);
  append_u16(id, static_cast<std::uint16_t>(aead));
  return id;
}

Result<std::size_t> key_size(HpkeAead aead) {
  switch (aead) {
    case HpkeAead::kAes128Gcm:
      return std::size_t{16};
    case HpkeAead::kAes256Gcm:
      return std::size_t{32};
  }
  return make_error(ErrorCode::kInvalidArgument, "HPKE AEAD id 0x{:04x} is not supported",
                    static_cast<unsigned>(aead));
}

// DHKEM ExtractAndExpand (RFC 9180 section 4.1): shared_secret from the DH output and
// kem_context = enc || pkR.
Result<SecureBytes> extract_and_expand(ByteView dh, ByteView enc, ByteView recipient_public) {
  const Bytes suite = kem_suite_id();
  auto eae_prk = hpke_labeled_extract(suite, {}, "eae_prk", dh);
  if (!eae_prk) return eae_prk;
  Bytes kem_context(enc.begin(), enc.end());
  kem_context.insert(kem_context.end(), recipient_public.begin(), recipient_public.end());
  return hpke_labeled_expand(suite, *eae_prk, "shared_secret", kem_context, 32);
}

Result<void> check_enc(ByteView enc) {
  if (enc.size() != kHpkeEncSize) {
    return make_error(ErrorCode::kCorrupt, "HPKE enc must be {} bytes, got {}", kHpkeEncSize,
                      enc.size());
  }
  return {};
}

}  // namespace

// Builds contexts; a friend of HpkeContext so the key material never passes through a public API.
class HpkeKeySchedule {
 public:
  // KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "") of section 5.1.
  static Result<HpkeContext> base(HpkeAead aead, ByteView shared_secret, ByteView info) {
    auto nk = key_size(aead);
    if (!nk) return tl::unexpected(nk.error());
    const Bytes suite = hpke_suite_id(aead);
    auto psk_id_hash = hpke_labeled_extract(suite, {}, "psk_id_hash", {});
    if (!psk_id_hash) return tl::unexpected(psk_id_hash.error());
    auto info_hash = hpke_labeled_extract(suite, {}, "info_hash", info);
    if (!info_hash) return tl::unexpected(info_hash.error());

    Bytes context{kModeBase};
    context.insert(context.end(), psk_id_hash->begin(), psk_id_hash->end());
    context.insert(context.end(), info_hash->begin(), info_hash->end());

    auto secret = hpke_labeled_extract(suite, shared_secret, "secret", {});
    if (!secret) return tl::unexpected(secret.error());
    auto key = hpke_labeled_expand(suite, *secret, "key", context, *nk);
    auto base_nonce = hpke_labeled_expand(suite, *secret, "base_nonce", context, kNonceSize);
    auto exporter = hpke_labeled_expand(suite, *secret, "exp", context, 32);
    if (!key || !base_nonce || !exporter) {
      return tl::unexpected(!key          ? key.error()
                            : !base_nonce ? base_nonce.error()
                                          : exporter.error());
    }
    HpkeContext out;
    out.aead_ = aead;
    out.key_ = std::move(*key);
    out.base_nonce_.assign(base_nonce->begin(), base_nonce->end());
    out.exporter_secret_ = std::move(*exporter);
    return out;
  }
};

Result<Bytes> HpkeContext::next_nonce() {
  // Section 5.2: the sequence number must not wrap; 2^64 - 1 messages is the practical limit.
  if (sequence_ == std::numeric_limits<std::uint64_t>::max()) {
    return make_error(ErrorCode::kInvalidArgument, "HPKE context sequence number exhausted");
  }
  Bytes nonce = base_nonce_;
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[kNonceSize - 1 - i] ^= static_cast<std::uint8_t>(sequence_ >> (8 * i));
  }
  return nonce;
}

Result<Bytes> HpkeContext::seal(ByteView aad, ByteView plaintext) {
  auto nonce = next_nonce();
  if (!nonce) return nonce;
  auto sealed = aes_gcm_seal(key_, *nonce, aad, plaintext);
  if (!sealed) return with_context(sealed.error(), "HPKE");
  ++sequence_;
  return sealed;
}

Result<Bytes> HpkeContext::open(ByteView aad, ByteView ciphertext) {
  auto nonce = next_nonce();
  if (!nonce) return nonce;
  auto opened = aes_gcm_open(key_, *nonce, aad, ciphertext);
  if (!opened) return with_context(opened.error(), "HPKE");
  ++sequence_;
  return opened;
}

Result<SecureBytes> HpkeContext::export_secret(ByteView exporter_context,
                                               std::size_t length) const {
  return hpke_labeled_expand(hpke_suite_id(aead_), exporter_secret_, "sec", exporter_context,
                             length);
}

Result<HpkeSender> hpke_setup_base_sender_with_ephemeral(HpkeAead aead, ByteView ephemeral_private,
                                                         ByteView recipient_public, ByteView info) {
  // Encap(pkR), section 4.1.
  auto enc = x25519_public_from_private(ephemeral_private);
  if (!enc) return with_context(enc.error(), "HPKE ephemeral key");
  auto dh = x25519_derive(ephemeral_private, recipient_public);
  if (!dh) return with_context(dh.error(), "HPKE recipient public key");
  auto shared_secret = extract_and_expand(*dh, *enc, recipient_public);
  if (!shared_secret) return tl::unexpected(shared_secret.error());
  auto context = HpkeKeySchedule::base(aead, *shared_secret, info);
  if (!context) return tl::unexpected(context.error());
  return HpkeSender{std::move(*enc), std::move(*context)};
}

Result<HpkeSender> hpke_setup_base_sender(HpkeAead aead, ByteView recipient_public, ByteView info) {
  auto ephemeral = x25519_generate_keypair();
  if (!ephemeral) return tl::unexpected(ephemeral.error());
  return hpke_setup_base_sender_with_ephemeral(aead, ephemeral->private_key, recipient_public,
                                               info);
}

Result<HpkeContext> hpke_setup_base_receiver(HpkeAead aead, ByteView recipient_private,
                                             ByteView enc, ByteView info) {
  // Decap(enc, skR), section 4.1.
  if (auto ok = check_enc(enc); !ok) return tl::unexpected(ok.error());
  auto dh = x25519_derive(recipient_private, enc);
  if (!dh) return with_context(dh.error(), "HPKE enc");
  auto recipient_public = x25519_public_from_private(recipient_private);
  if (!recipient_public)
    return with_context(recipient_public.error(), "HPKE recipient private key");
  auto shared_secret = extract_and_expand(*dh, enc, *recipient_public);
  if (!shared_secret) return tl::unexpected(shared_secret.error());
  return HpkeKeySchedule::base(aead, *shared_secret, info);
}

Result<HpkeSealed> hpke_seal_with_ephemeral(HpkeAead aead, ByteView ephemeral_private,
                                            ByteView recipient_public, ByteView info, ByteView aad,
                                            ByteView plaintext) {
  auto sender =
      hpke_setup_base_sender_with_ephemeral(aead, ephemeral_private, recipient_public, info);
  if (!sender) return tl::unexpected(sender.error());
  auto ciphertext = sender->context.seal(aad, plaintext);
  if (!ciphertext) return tl::unexpected(ciphertext.error());
  return HpkeSealed{std::move(sender->enc), std::move(*ciphertext)};
}

Result<HpkeSealed> hpke_seal(HpkeAead aead, ByteView recipient_public, ByteView info, ByteView aad,
                             ByteView plaintext) {
  auto ephemeral = x25519_generate_keypair();
  if (!ephemeral) return tl::unexpected(ephemeral.error());
  return hpke_seal_with_ephemeral(aead, ephemeral->private_key, recipient_public, info, aad,
                                  plaintext);
}

Result<Bytes> hpke_open(HpkeAead aead, ByteView recipient_private, ByteView enc, ByteView info,
                        ByteView aad, ByteView ciphertext) {
  auto context = hpke_setup_base_receiver(aead, recipient_private, enc, info);
  if (!context) return tl::unexpected(context.error());
  return context->open(aad, ciphertext);
}

}  // namespace ferry::crypto
