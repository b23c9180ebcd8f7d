#include "common/crypto/cmac.hpp"

#include <catch2/catch.hpp>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "common/crypto/random.hpp"
#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

using test::from_hex;
using test::to_hex;

// OpenSSL's own CMAC, as the reference.
Bytes reference_cmac(ByteView key, ByteView data) {
  char cipher[] = "AES-256-CBC";
  char cipher128[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                                   OSSL_MAC_PARAM_CIPHER, key.size() == 16 ? cipher128 : cipher, 0),
                               OSSL_PARAM_construct_end()};
  Bytes out(16);
  std::size_t size = 0;
  REQUIRE(EVP_Q_mac(nullptr, "CMAC", nullptr, nullptr, params, key.data(), key.size(), data.data(),
                    data.size(), out.data(), out.size(), &size) != nullptr);
  REQUIRE(size == 16);
  return out;
}

TEST_CASE("gf128_double shifts left and folds the carry into 0x87") {
  AesBlock one{};
  one[15] = 1;
  CHECK(to_hex(gf128_double(one)) == "00000000000000000000000000000002");
  AesBlock top{};
  top[0] = 0x80;
  CHECK(to_hex(gf128_double(top)) == "00000000000000000000000000000087");
}

TEST_CASE("AES-CMAC agrees with OpenSSL's CMAC across lengths, chunks and repeated calls") {
  for (const std::size_t key_size : {16, 32}) {
    auto key = random_secret(key_size);
    REQUIRE(key);
    auto cmac = AesCmac::create(*key);
    REQUIRE(cmac);
    // Lengths around block and 256-byte chunk boundaries; each call reuses the chained context.
    for (const std::size_t size :
         {0, 1, 15, 16, 17, 31, 32, 33, 36, 240, 255, 256, 257, 272, 511, 512, 513, 1000}) {
      Bytes data(size);
      REQUIRE(random_fill(data));
      INFO("key " << key_size << " bytes, message " << size << " bytes");
      auto mac = cmac->mac(data);
      REQUIRE(mac);
      CHECK(to_hex(*mac) == to_hex(reference_cmac(*key, data)));
    }
  }
}

TEST_CASE("AES-CMAC xorend equals CMAC of the message with its last 16 bytes masked") {
  auto key = random_secret(32);
  REQUIRE(key);
  auto cmac = AesCmac::create(*key);
  REQUIRE(cmac);
  AesBlock mask{};
  REQUIRE(random_fill(mask));
  for (const std::size_t size : {16, 17, 36, 255, 256, 257, 260, 271, 272, 600}) {
    Bytes data(size);
    REQUIRE(random_fill(data));
    Bytes masked = data;
    for (std::size_t i = 0; i < 16; ++i) masked[size - 16 + i] ^= mask[i];
    INFO("message " << size << " bytes");
    auto mac = cmac->mac_xorend(data, mask);
    REQUIRE(mac);
    CHECK(to_hex(*mac) == to_hex(reference_cmac(*key, masked)));
  }
  CHECK_FALSE(cmac->mac_xorend(Bytes(15), mask));
}

TEST_CASE("AES-CMAC matches the intermediate S2V values of RFC 5297 A.1") {
  const auto& vector = test::known_answers::kAesSiv.at(0);
  REQUIRE(vector.name == "RFC 5297 A.1");
  const Bytes key = from_hex(vector.key);
  auto cmac = AesCmac::create(ByteView(key).first(16));
  REQUIRE(cmac);
  auto zero = cmac->mac(AesBlock{});
  REQUIRE(zero);
  CHECK(to_hex(*zero) == test::known_answers::kRfc5297A1CmacZeroBlock);
  auto ad_mac = cmac->mac(from_hex(vector.ad.at(0)));
  REQUIRE(ad_mac);
  CHECK(to_hex(*ad_mac) == test::known_answers::kRfc5297A1CmacAd);
}

TEST_CASE("AES-CMAC refuses keys that are not 16 or 32 bytes") {
  CHECK_FALSE(AesCmac::create(Bytes(24)));
  CHECK_FALSE(AesCmac::create(Bytes(0)));
}

}  // namespace
}  // namespace ferry::crypto
