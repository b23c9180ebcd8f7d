#include "common/crypto/aes_siv.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include "common/crypto/evp.hpp"
#include "common/crypto/random.hpp"
#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

namespace known_answers = test::known_answers;
using test::from_hex;
using test::to_hex;

std::vector<ByteView> views(const std::vector<Bytes>& parts) {
  return std::vector<ByteView>(parts.begin(), parts.end());
}

void check_vector(const known_answers::AesSivVector& vector) {
  INFO(vector.name);
  auto siv = AesSiv::create(from_hex(vector.key));
  REQUIRE(siv);
  std::vector<Bytes> ad_parts;
  for (const auto part : vector.ad) ad_parts.push_back(from_hex(part));
  const auto ad = views(ad_parts);
  const Bytes plaintext = from_hex(vector.plaintext);
  const std::string expected = std::string(vector.siv) + std::string(vector.ciphertext);
  auto sealed = siv->encrypt(ad, plaintext);
  REQUIRE(sealed);
  CHECK(to_hex(*sealed) == expected);
  auto opened = siv->decrypt(ad, from_hex(expected));
  REQUIRE(opened);
  CHECK(*opened == plaintext);
}

// OpenSSL's own AES-SIV, as the reference for random inputs. It cannot encrypt an empty plaintext
// on 3.0 (OpenSSL issues 17268 and 26580), so callers pass at least one byte.
Bytes reference_siv(ByteView key, const std::vector<ByteView>& ad, ByteView plaintext) {
  auto cipher = evp::fetch_cipher(key.size() == 64 ? "AES-256-SIV" : "AES-128-SIV");
  REQUIRE(cipher);
  evp::CipherCtx ctx(EVP_CIPHER_CTX_new());
  REQUIRE(EVP_EncryptInit_ex2(ctx.get(), cipher->get(), key.data(), nullptr, nullptr) == 1);
  int written = 0;
  static const std::uint8_t kEmpty = 0;
  for (const ByteView part : ad) {
    REQUIRE(EVP_EncryptUpdate(ctx.get(), nullptr, &written, part.empty() ? &kEmpty : part.data(),
                              static_cast<int>(part.size())) == 1);
  }
  Bytes out(16 + plaintext.size());
  REQUIRE(EVP_EncryptUpdate(ctx.get(), out.data() + 16, &written, plaintext.data(),
                            static_cast<int>(plaintext.size())) == 1);
  REQUIRE(EVP_EncryptFinal_ex(ctx.get(), out.data() + 16 + written, &written) == 1);
  REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, out.data()) == 1);
  return out;
}

TEST_CASE("AES-SIV matches RFC 5297 A.1") {
  REQUIRE(known_answers::kAesSiv.at(0).name == "RFC 5297 A.1");
  check_vector(known_answers::kAesSiv.at(0));
}

TEST_CASE("AES-SIV matches RFC 5297 A.2 with several associated data components") {
  REQUIRE(known_answers::kAesSiv.at(1).name == "RFC 5297 A.2");
  check_vector(known_answers::kAesSiv.at(1));
}

TEST_CASE("AES-SIV matches every published vector, including 512-bit keys and edge cases") {
  CHECK(known_answers::kAesSiv.size() >= 6);
  // Includes the empty-plaintext vector that OpenSSL 3.0's own AES-SIV cannot produce.
  for (const auto& vector : known_answers::kAesSiv) check_vector(vector);
}

TEST_CASE("AES-SIV-512 agrees with OpenSSL's AES-256-SIV on random inputs") {
  for (const std::size_t key_size : {32, 64}) {
    auto key = random_secret(key_size);
    REQUIRE(key);
    auto siv = AesSiv::create(*key);
    REQUIRE(siv);
    for (const std::size_t ad_count : {0, 1, 3}) {
      for (const std::size_t size : {1, 15, 16, 17, 36, 255, 256, 257, 600}) {
        std::vector<Bytes> ad_parts;
        for (std::size_t i = 0; i < ad_count; ++i) {
          ad_parts.emplace_back(i * 20);
          REQUIRE(random_fill(ad_parts.back()));
        }
        Bytes plaintext(size);
        REQUIRE(random_fill(plaintext));
        INFO("key " << key_size << ", " << ad_count << " AD, plaintext " << size);
        const auto ad = views(ad_parts);
        auto sealed = siv->encrypt(ad, plaintext);
        REQUIRE(sealed);
        CHECK(to_hex(*sealed) == to_hex(reference_siv(*key, ad, plaintext)));
        auto opened = siv->decrypt(ad, *sealed);
        REQUIRE(opened);
        CHECK(*opened == plaintext);
      }
    }
  }
}

TEST_CASE("AES-SIV is deterministic and distinguishes no AD from one empty AD") {
  auto siv = AesSiv::create(Bytes(64, 0x42));
  REQUIRE(siv);
  auto a = siv->encrypt({}, as_bytes("st-000123"));
  auto b = siv->encrypt({}, as_bytes("st-000123"));
  const Bytes empty;
  const std::vector<ByteView> one_empty = {empty};
  auto c = siv->encrypt(one_empty, as_bytes("st-000123"));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a == *b);
  CHECK(*a != *c);
}

TEST_CASE("AES-SIV round-trips an empty plaintext") {
  auto siv = AesSiv::create(Bytes(64, 1));
  REQUIRE(siv);
  auto sealed = siv->encrypt({}, {});
  REQUIRE(sealed);
  CHECK(sealed->size() == 16);
  auto opened = siv->decrypt({}, *sealed);
  REQUIRE(opened);
  CHECK(opened->empty());
}

TEST_CASE("AES-SIV rejects any altered byte, wrong AD and a wrong key") {
  auto siv = AesSiv::create(Bytes(64, 3));
  auto other = AesSiv::create(Bytes(64, 4));
  REQUIRE(siv);
  REQUIRE(other);
  const Bytes ad_bytes = {1, 2, 3};
  const std::vector<ByteView> ad = {ad_bytes};
  auto sealed = siv->encrypt(ad, as_bytes("ana.maria@school.example"));
  REQUIRE(sealed);
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    Bytes altered = *sealed;
    altered[i] ^= 0x01;
    auto opened = siv->decrypt(ad, altered);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == ErrorCode::kCorrupt);
    CHECK(opened.error().message == "AES-SIV authentication failed");
  }
  CHECK_FALSE(siv->decrypt({}, *sealed));
  CHECK_FALSE(other->decrypt(ad, *sealed));
  CHECK_FALSE(siv->decrypt(ad, ByteView(*sealed).first(15)));
}

TEST_CASE("AES-SIV refuses bad key sizes, buffers and too many AD components") {
  CHECK_FALSE(AesSiv::create(Bytes(48)));
  auto siv = AesSiv::create(Bytes(64, 5));
  REQUIRE(siv);
  Bytes small(10);
  CHECK_FALSE(siv->encrypt({}, as_bytes("abc"), small));
  const Bytes part = {1};
  const std::vector<ByteView> too_many(AesSiv::kMaxAssociatedData + 1, part);
  CHECK_FALSE(siv->encrypt(too_many, as_bytes("abc")));
  const std::vector<ByteView> most(AesSiv::kMaxAssociatedData, part);
  CHECK(siv->encrypt(most, as_bytes("abc")));
}

}  // namespace
}  // namespace ferry::crypto
