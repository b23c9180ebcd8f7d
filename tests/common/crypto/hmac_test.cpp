#include "common/crypto/hmac.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include "common/crypto/random.hpp"
#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

using test::from_hex;
using test::to_hex;

// OpenSSL's own HMAC, as the reference for the keyed object.
Bytes reference_hmac(ByteView key, ByteView data) {
  Bytes out(32);
  std::size_t size = 0;
  static const std::uint8_t kEmpty = 0;
  REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.empty() ? &kEmpty : key.data(),
                    key.size(), data.data(), data.size(), out.data(), out.size(),
                    &size) != nullptr);
  REQUIRE(size == 32);
  return out;
}

TEST_CASE("HMAC-SHA256 matches the published vectors (RFC 4231)") {
  for (const auto& v : test::known_answers::kHmacSha256) {
    INFO(v.name);
    const Bytes key = from_hex(v.key);
    const std::string data(v.data);
    auto one_shot = hmac_sha256(key, as_bytes(data));
    REQUIRE(one_shot);
    CHECK(to_hex(*one_shot) == v.mac);
    auto keyed = HmacSha256::create(key);
    REQUIRE(keyed);
    for (int i = 0; i < 3; ++i) {
      auto again = keyed->mac(as_bytes(data));
      REQUIRE(again);
      CHECK(to_hex(*again) == v.mac);
    }
  }
}

TEST_CASE("HMAC-SHA256 agrees with OpenSSL's HMAC for keys and messages of many lengths") {
  for (const std::size_t key_size : {1, 16, 32, 63, 64, 65, 100, 200}) {
    auto key = random_secret(key_size);
    REQUIRE(key);
    auto keyed = HmacSha256::create(*key);
    REQUIRE(keyed);
    for (const std::size_t data_size : {0, 1, 36, 55, 56, 63, 64, 65, 119, 120, 1000}) {
      Bytes data(data_size);
      REQUIRE(random_fill(data));
      INFO("key " << key_size << " bytes, data " << data_size << " bytes");
      auto mac = keyed->mac(data);
      REQUIRE(mac);
      CHECK(Bytes(mac->begin(), mac->end()) == reference_hmac(*key, data));
    }
  }
}

TEST_CASE("HMAC-SHA256 with an empty key is HMAC with a zero block key") {
  auto empty = hmac_sha256({}, as_bytes("x"));
  auto zeros = hmac_sha256(Bytes(64, 0), as_bytes("x"));
  REQUIRE(empty);
  REQUIRE(zeros);
  CHECK(*empty == *zeros);
}

TEST_CASE("a moved HMAC-SHA256 object keeps its key") {
  auto keyed = HmacSha256::create(as_bytes("Jefe"));
  REQUIRE(keyed);
  HmacSha256 moved = std::move(*keyed);
  auto mac = moved.mac(as_bytes("what do ya want for nothing?"));
  REQUIRE(mac);
  CHECK(to_hex(*mac) ==
        to_hex(reference_hmac(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))));
}

}  // namespace
}  // namespace ferry::crypto
