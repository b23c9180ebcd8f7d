#include "common/crypto/aes_gcm.hpp"

#include <catch2/catch.hpp>

#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

using test::from_hex;
using test::to_hex;

TEST_CASE("AES-256-GCM matches the published vectors (GCM spec test cases 13 and 14)") {
  for (const auto& v : test::known_answers::kAes256Gcm) {
    INFO(v.name);
    const Bytes key = from_hex(v.key);
    const Bytes iv = from_hex(v.iv);
    const Bytes aad = from_hex(v.aad);
    const Bytes plaintext = from_hex(v.plaintext);
    const std::string expected = std::string(v.ciphertext) + std::string(v.tag);
    auto sealed = aes_gcm_seal(key, iv, aad, plaintext);
    REQUIRE(sealed);
    CHECK(to_hex(*sealed) == expected);
    auto opened = aes_gcm_open(key, iv, aad, from_hex(expected));
    REQUIRE(opened);
    CHECK(*opened == plaintext);
  }
}

TEST_CASE("AES-GCM round-trips with 128- and 256-bit keys") {
  for (const std::size_t key_size : {16, 32}) {
    const Bytes key(key_size, 0x11);
    const Bytes nonce(12, 0x22);
    const std::string text = "one zstd frame of JSON lines";
    auto sealed = aes_gcm_seal(key, nonce, as_bytes("header"), as_bytes(text));
    REQUIRE(sealed);
    CHECK(sealed->size() == text.size() + kAesGcmTagSize);
    auto opened = aes_gcm_open(key, nonce, as_bytes("header"), *sealed);
    REQUIRE(opened);
    CHECK(as_chars(*opened) == text);
  }
}

TEST_CASE("AES-GCM rejects altered ciphertext, tag, aad, nonce or key") {
  const Bytes key(32, 0x11);
  const Bytes nonce(12, 0x22);
  auto sealed = aes_gcm_seal(key, nonce, as_bytes("aad"), as_bytes("secret rows"));
  REQUIRE(sealed);
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    Bytes altered = *sealed;
    altered[i] ^= 0x80;
    auto opened = aes_gcm_open(key, nonce, as_bytes("aad"), altered);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == ErrorCode::kCorrupt);
  }
  CHECK_FALSE(aes_gcm_open(key, nonce, as_bytes("aaD"), *sealed));
  CHECK_FALSE(aes_gcm_open(key, Bytes(12, 0x23), as_bytes("aad"), *sealed));
  CHECK_FALSE(aes_gcm_open(Bytes(32, 0x12), nonce, as_bytes("aad"), *sealed));
  CHECK_FALSE(aes_gcm_open(key, nonce, as_bytes("aad"), ByteView(*sealed).first(15)));
}

TEST_CASE("AES-GCM refuses wrong key and nonce sizes") {
  const auto bad_key = aes_gcm_seal(Bytes(24), Bytes(12), {}, {});
  REQUIRE_FALSE(bad_key);
  CHECK(bad_key.error().message == "AES-GCM key must be 16 or 32 bytes, got 24");
  CHECK_FALSE(aes_gcm_seal(Bytes(32), Bytes(16), {}, {}));
}

}  // namespace
}  // namespace ferry::crypto
