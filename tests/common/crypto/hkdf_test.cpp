#include "common/crypto/hkdf.hpp"

#include <catch2/catch.hpp>

#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

using test::from_hex;
using test::to_hex;

TEST_CASE("HKDF-SHA256 matches the published vectors (RFC 5869)") {
  for (const auto& v : test::known_answers::kHkdfSha256) {
    INFO(v.name);
    const Bytes ikm = from_hex(v.ikm);
    const Bytes salt = from_hex(v.salt);
    const Bytes info = from_hex(v.info);

    auto prk = hkdf_extract(salt, ikm);
    REQUIRE(prk);
    CHECK(to_hex(*prk) == v.prk);
    auto okm = hkdf_expand(*prk, info, v.length);
    REQUIRE(okm);
    CHECK(to_hex(*okm) == v.okm);
    auto both = hkdf(ikm, salt, info, v.length);
    REQUIRE(both);
    CHECK(to_hex(*both) == v.okm);
  }
}

TEST_CASE("HKDF-SHA256 with an empty salt equals a salt of 32 zero bytes") {
  const Bytes ikm(22, 0x0b);
  const Bytes zeros(32, 0);
  auto empty_salt = hkdf_extract({}, ikm);
  auto zero_salt = hkdf_extract(zeros, ikm);
  REQUIRE(empty_salt);
  REQUIRE(zero_salt);
  CHECK(*empty_salt == *zero_salt);
  // RFC 5869 A.3 (zero-length salt and info): PRK of 22 bytes of 0x0b.
  CHECK(to_hex(*empty_salt) == "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
}

TEST_CASE("HKDF-SHA256 accepts empty input keying material") {
  auto prk = hkdf_extract({}, {});
  REQUIRE(prk);
  CHECK(prk->size() == kSha256Size);
}

TEST_CASE("HKDF-SHA256 refuses output lengths outside 1 to 8160 bytes and short PRKs") {
  const Bytes prk(32, 1);
  CHECK_FALSE(hkdf_expand(prk, {}, 0));
  CHECK_FALSE(hkdf_expand(prk, {}, kHkdfSha256MaxLength + 1));
  auto longest = hkdf_expand(prk, {}, kHkdfSha256MaxLength);
  REQUIRE(longest);
  CHECK(longest->size() == kHkdfSha256MaxLength);
  auto short_prk = hkdf_expand(Bytes(16, 1), {}, 32);
  REQUIRE_FALSE(short_prk);
  CHECK(short_prk.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("HKDF-SHA256 output is a prefix-consistent stream") {
  const Bytes prk(32, 7);
  auto short_okm = hkdf_expand(prk, as_bytes("info"), 10);
  auto long_okm = hkdf_expand(prk, as_bytes("info"), 100);
  REQUIRE(short_okm);
  REQUIRE(long_okm);
  CHECK(std::equal(short_okm->begin(), short_okm->end(), long_okm->begin()));
}

TEST_CASE("HPKE labelled extract and expand build the RFC 9180 labels") {
  // With the labels spelled out, labelled HKDF must equal plain HKDF over the same bytes.
  const Bytes suite = {'K', 'E', 'M', 0x00, 0x20};
  const Bytes ikm = from_hex("0102030405");
  Bytes labeled_ikm = {'H', 'P', 'K', 'E', '-', 'v', '1'};
  labeled_ikm.insert(labeled_ikm.end(), suite.begin(), suite.end());
  for (char c : std::string_view("eae_prk")) labeled_ikm.push_back(static_cast<std::uint8_t>(c));
  labeled_ikm.insert(labeled_ikm.end(), ikm.begin(), ikm.end());
  auto labeled = hpke_labeled_extract(suite, {}, "eae_prk", ikm);
  auto plain = hkdf_extract({}, labeled_ikm);
  REQUIRE(labeled);
  REQUIRE(plain);
  CHECK(*labeled == *plain);

  Bytes labeled_info = {0x00, 0x20, 'H', 'P', 'K', 'E', '-', 'v', '1'};
  labeled_info.insert(labeled_info.end(), suite.begin(), suite.end());
  for (char c : std::string_view("shared_secret"))
    labeled_info.push_back(static_cast<std::uint8_t>(c));
  labeled_info.push_back(0xaa);
  const Bytes info = {0xaa};
  auto expanded = hpke_labeled_expand(suite, *labeled, "shared_secret", info, 32);
  auto plain_expanded = hkdf_expand(*labeled, labeled_info, 32);
  REQUIRE(expanded);
  REQUIRE(plain_expanded);
  CHECK(*expanded == *plain_expanded);
}

}  // namespace
}  // namespace ferry::crypto
