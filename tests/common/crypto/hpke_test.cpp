#include "common/crypto/hpke.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/x25519.hpp"
#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::crypto {
namespace {

using test::from_hex;
using test::hex_field;
using test::to_hex;

TEST_CASE("HPKE seal matches RFC 9180 A.1.1 byte for byte and opens with skRm") {
  FERRY_REQUIRE_TESTDATA(path, "crypto/hpke-rfc9180-a1.json");
  const auto root = test::load_json(path);
  const auto& v = root.as_object();
  REQUIRE(v.at("aead_id").as_int64() == 1);
  const Bytes info = hex_field(v, "info");
  const auto& first = v.at("encryptions").as_array().at(0).as_object();
  REQUIRE(first.at("seq").as_int64() == 0);
  const Bytes aad = hex_field(first, "aad");
  const Bytes plaintext = hex_field(first, "plaintext");

  auto sealed = hpke_seal_with_ephemeral(HpkeAead::kAes128Gcm, hex_field(v, "skEm"),
                                         hex_field(v, "pkRm"), info, aad, plaintext);
  REQUIRE(sealed);
  CHECK(to_hex(sealed->enc) == test::string_field(v, "enc"));
  CHECK(to_hex(sealed->ciphertext) == test::string_field(first, "ciphertext"));

  auto opened = hpke_open(HpkeAead::kAes128Gcm, hex_field(v, "skRm"), hex_field(v, "enc"), info,
                          aad, hex_field(first, "ciphertext"));
  REQUIRE(opened);
  CHECK(*opened == plaintext);
}

TEST_CASE("HPKE contexts follow RFC 9180 A.1.1 through every listed sequence number") {
  FERRY_REQUIRE_TESTDATA(path, "crypto/hpke-rfc9180-a1.json");
  const auto root = test::load_json(path);
  const auto& v = root.as_object();
  const Bytes info = hex_field(v, "info");
  auto sender = hpke_setup_base_sender_with_ephemeral(HpkeAead::kAes128Gcm, hex_field(v, "skEm"),
                                                      hex_field(v, "pkRm"), info);
  REQUIRE(sender);
  auto receiver =
      hpke_setup_base_receiver(HpkeAead::kAes128Gcm, hex_field(v, "skRm"), sender->enc, info);
  REQUIRE(receiver);
  for (const auto& item : v.at("encryptions").as_array()) {
    const auto& e = item.as_object();
    INFO("seq " << e.at("seq").as_int64());
    REQUIRE(sender->context.sequence() == static_cast<std::uint64_t>(e.at("seq").as_int64()));
    auto ct = sender->context.seal(hex_field(e, "aad"), hex_field(e, "plaintext"));
    REQUIRE(ct);
    CHECK(to_hex(*ct) == test::string_field(e, "ciphertext"));
    auto pt = receiver->open(hex_field(e, "aad"), *ct);
    REQUIRE(pt);
    CHECK(*pt == hex_field(e, "plaintext"));
  }
}

TEST_CASE("HPKE matches the RFC 9180 vector carried in vectors.json, including the export") {
  FERRY_REQUIRE_TESTDATA(path, "crypto/vectors.json");
  const auto root = test::load_json(path);
  const auto vectors = root.as_object().at("hpke").as_array();
  REQUIRE_FALSE(vectors.empty());
  for (const auto& item : vectors) {
    const auto& v = item.as_object();
    INFO(test::string_field(v, "name"));
    REQUIRE(test::string_field(v.at("suite").as_object(), "aead_id") == "0x0001");
    const Bytes info = hex_field(v, "info");
    auto pk_r = x25519_public_from_private(hex_field(v, "skRm"));
    REQUIRE(pk_r);
    CHECK(to_hex(*pk_r) == test::string_field(v, "pkRm"));
    // The receiver side needs only skRm and enc (= pkEm); every ciphertext must open in order.
    auto receiver = hpke_setup_base_receiver(HpkeAead::kAes128Gcm, hex_field(v, "skRm"),
                                             hex_field(v, "pkEm"), info);
    REQUIRE(receiver);
    for (const auto& enc_item : v.at("encryptions").as_array()) {
      const auto& e = enc_item.as_object();
      auto pt = receiver->open(hex_field(e, "aad"), hex_field(e, "ct"));
      REQUIRE(pt);
      CHECK(*pt == hex_field(v, "plaintext"));
    }
    for (const auto& export_item : v.at("exports").as_array()) {
      const auto& x = export_item.as_object();
      auto exported = receiver->export_secret(hex_field(x, "exporter_context"),
                                              static_cast<std::size_t>(x.at("L").as_int64()));
      REQUIRE(exported);
      CHECK(to_hex(*exported) == test::string_field(x, "value"));
    }
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
