#include "common/crypto/hpke.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/x25519.hpp"
#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

using test::from_hex;
using test::to_hex;

const test::known_answers::HpkeVector& rfc9180_a11() {
  return test::known_answers::kHpkeRfc9180A11;
}

TEST_CASE("HPKE seal matches RFC 9180 A.1.1 byte for byte and opens with skRm") {
  const auto& v = rfc9180_a11();
  const Bytes info = from_hex(v.info);
  const auto& first = v.encryptions.at(0);
  REQUIRE(first.seq == 0);
  const Bytes aad = from_hex(first.aad);
  const Bytes plaintext = from_hex(v.plaintext);

  auto sealed = hpke_seal_with_ephemeral(HpkeAead::kAes128Gcm, from_hex(v.sk_em), from_hex(v.pk_rm),
                                         info, aad, plaintext);
  REQUIRE(sealed);
  CHECK(to_hex(sealed->enc) == v.pk_em);
  CHECK(to_hex(sealed->ciphertext) == first.ciphertext);

  auto opened = hpke_open(HpkeAead::kAes128Gcm, from_hex(v.sk_rm), from_hex(v.pk_em), info, aad,
                          from_hex(first.ciphertext));
  REQUIRE(opened);
  CHECK(*opened == plaintext);
}

TEST_CASE("HPKE contexts follow RFC 9180 A.1.1 through every listed sequence number") {
  const auto& v = rfc9180_a11();
  const Bytes info = from_hex(v.info);
  const Bytes plaintext = from_hex(v.plaintext);
  auto sender = hpke_setup_base_sender_with_ephemeral(HpkeAead::kAes128Gcm, from_hex(v.sk_em),
                                                      from_hex(v.pk_rm), info);
  REQUIRE(sender);
  auto receiver =
      hpke_setup_base_receiver(HpkeAead::kAes128Gcm, from_hex(v.sk_rm), sender->enc, info);
  REQUIRE(receiver);
  REQUIRE(v.encryptions.size() >= 2);
  for (const auto& e : v.encryptions) {
    INFO("seq " << e.seq);
    REQUIRE(sender->context.sequence() == e.seq);
    auto ct = sender->context.seal(from_hex(e.aad), plaintext);
    REQUIRE(ct);
    CHECK(to_hex(*ct) == e.ciphertext);
    auto pt = receiver->open(from_hex(e.aad), *ct);
    REQUIRE(pt);
    CHECK(*pt == plaintext);
  }
}

TEST_CASE("HPKE receiver of RFC 9180 A.1.1 opens every ciphertext and matches the export") {
  const auto& v = rfc9180_a11();
  const Bytes info = from_hex(v.info);
  // The receiver side needs only skRm and enc (= pkEm); every ciphertext must open in order.
  auto receiver =
      hpke_setup_base_receiver(HpkeAead::kAes128Gcm, from_hex(v.sk_rm), from_hex(v.pk_em), info);
  REQUIRE(receiver);
  for (const auto& e : v.encryptions) {
    INFO("seq " << e.seq);
    auto pt = receiver->open(from_hex(e.aad), from_hex(e.ciphertext));
    REQUIRE(pt);
    CHECK(*pt == from_hex(v.plaintext));
  }
  REQUIRE_FALSE(v.exports.empty());
  for (const auto& x : v.exports) {
    INFO("exporter context '" << x.context << "'");
    auto exported = receiver->export_secret(from_hex(x.context), x.length);
    REQUIRE(exported);
    CHECK(to_hex(*exported) == x.value);
  }
}

TEST_CASE("HPKE with AES-256-GCM round-trips a batch-sized message") {
  auto tenant = x25519_generate_keypair();
  REQUIRE(tenant);
  const Bytes info = {'f', 'e', 'r', 'r', 'y', ' ', 'b', 'a', 't', 'c', 'h', ' ', 'v', '1'};
  const std::string header = R"({"v":1,"kind":"rows"})";
  Bytes plaintext(100000);
  for (std::size_t i = 0; i < plaintext.size(); ++i)
    plaintext[i] = static_cast<std::uint8_t>(i * 7);
  auto sealed =
      hpke_seal(HpkeAead::kAes256Gcm, tenant->public_key, info, as_bytes(header), plaintext);
  REQUIRE(sealed);
  CHECK(sealed->enc.size() == kHpkeEncSize);
  CHECK(sealed->ciphertext.size() == plaintext.size() + 16);
  auto opened = hpke_open(HpkeAead::kAes256Gcm, tenant->private_key, sealed->enc, info,
                          as_bytes(header), sealed->ciphertext);
  REQUIRE(opened);
  CHECK(*opened == plaintext);

  // A fresh ephemeral key each time: the same message never seals to the same bytes.
  auto again =
      hpke_seal(HpkeAead::kAes256Gcm, tenant->public_key, info, as_bytes(header), plaintext);
  REQUIRE(again);
  CHECK(again->enc != sealed->enc);
}

TEST_CASE("HPKE open rejects tampered aad, ciphertext, enc, info, key or suite") {
  auto tenant = x25519_generate_keypair();
  auto stranger = x25519_generate_keypair();
  REQUIRE(tenant);
  REQUIRE(stranger);
  const Bytes info = {'i'};
  const Bytes aad = {'a', 'a', 'd'};
  const Bytes plaintext = {'r', 'o', 'w', 's'};
  auto sealed = hpke_seal(HpkeAead::kAes256Gcm, tenant->public_key, info, aad, plaintext);
  REQUIRE(sealed);
  const auto open = [&](ByteView key, ByteView enc, ByteView info_bytes, ByteView aad_bytes,
                        ByteView ct, HpkeAead aead = HpkeAead::kAes256Gcm) {
    return hpke_open(aead, key, enc, info_bytes, aad_bytes, ct);
  };
  REQUIRE(open(tenant->private_key, sealed->enc, info, aad, sealed->ciphertext));

  Bytes bad_aad = aad;
  bad_aad[0] ^= 1;
  auto wrong_aad = open(tenant->private_key, sealed->enc, info, bad_aad, sealed->ciphertext);
  REQUIRE_FALSE(wrong_aad);
  CHECK(wrong_aad.error().code == ErrorCode::kCorrupt);
  CHECK(wrong_aad.error().message == "HPKE: AES-GCM authentication failed");

  Bytes bad_ct = sealed->ciphertext;
  bad_ct[2] ^= 1;
  CHECK_FALSE(open(tenant->private_key, sealed->enc, info, aad, bad_ct));
  Bytes bad_enc = sealed->enc;
  bad_enc[5] ^= 1;
  CHECK_FALSE(open(tenant->private_key, bad_enc, info, aad, sealed->ciphertext));
  CHECK_FALSE(
      open(tenant->private_key, ByteView(sealed->enc).first(31), info, aad, sealed->ciphertext));
  CHECK_FALSE(open(tenant->private_key, sealed->enc, Bytes{'j'}, aad, sealed->ciphertext));
  CHECK_FALSE(open(stranger->private_key, sealed->enc, info, aad, sealed->ciphertext));
  CHECK_FALSE(
      open(tenant->private_key, sealed->enc, info, aad, sealed->ciphertext, HpkeAead::kAes128Gcm));
}

TEST_CASE("HPKE refuses an unknown AEAD id and a bad recipient key") {
  auto tenant = x25519_generate_keypair();
  REQUIRE(tenant);
  CHECK_FALSE(hpke_seal(static_cast<HpkeAead>(0x0003), tenant->public_key, {}, {}, Bytes{1}));
  CHECK_FALSE(hpke_seal(HpkeAead::kAes256Gcm, Bytes(32, 0), {}, {}, Bytes{1}));
  CHECK_FALSE(hpke_seal(HpkeAead::kAes256Gcm, Bytes(16, 1), {}, {}, Bytes{1}));
}

}  // namespace
}  // namespace ferry::crypto
