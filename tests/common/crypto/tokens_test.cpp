#include "common/crypto/tokens.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

Bytes test_secret() {
  Bytes secret(32);
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(i);
  return secret;
}

std::string pseudonym(Pseudonymizer& p, std::string_view value) {
  std::string out;
  auto done = p.pseudonymize(value, out);
  REQUIRE(done);
  return out;
}

std::string hashed(Hasher& h, std::string_view value) {
  std::string out;
  auto done = h.hash(value, out);
  REQUIRE(done);
  return out;
}

TEST_CASE("tokens match the SPEC section 4 vectors exactly") {
  namespace known_answers = test::known_answers;
  auto secret = base64_decode(known_answers::kTokenSecretBase64);
  REQUIRE(secret);
  const auto version = known_answers::kTokenKeyVersion;
  for (const auto& v : known_answers::kSpecTokens) {
    const std::string domain(v.domain);
    const std::string value(v.value);
    INFO("domain " << domain);
    auto p = Pseudonymizer::create(*secret, version, domain);
    auto h = Hasher::create(*secret, version, domain);
    REQUIRE(p);
    REQUIRE(h);
    CHECK(pseudonym(*p, value) == v.pseudonym);
    CHECK(hashed(*h, value) == v.hash);
    auto revealed = p->reveal(v.pseudonym);
    REQUIRE(revealed);
    CHECK(*revealed == value);
    auto token_v = token_version(v.pseudonym);
    REQUIRE(token_v);
    CHECK(*token_v == version);
  }
}

TEST_CASE("tokens are deterministic and differ between domains, key versions and kinds") {
  const Bytes secret = test_secret();
  auto users = Pseudonymizer::create(secret, 1, "user");
  auto users_again = Pseudonymizer::create(secret, 1, "user");
  auto emails = Pseudonymizer::create(secret, 1, "email");
  auto users_v2 = Pseudonymizer::create(secret, 2, "user");
  auto hasher = Hasher::create(secret, 1, "user");
  auto other_hasher = Hasher::create(secret, 1, "email");
  REQUIRE(users);
  REQUIRE(users_again);
  REQUIRE(emails);
  REQUIRE(users_v2);
  REQUIRE(hasher);
  REQUIRE(other_hasher);

  const std::string token = pseudonym(*users, "st-000123");
  CHECK(token.rfind("p1.", 0) == 0);
  CHECK(pseudonym(*users, "st-000123") == token);
  CHECK(pseudonym(*users_again, "st-000123") == token);
  CHECK(pseudonym(*emails, "st-000123").substr(3) != token.substr(3));
  CHECK(pseudonym(*users_v2, "st-000123").rfind("p2.", 0) == 0);
  CHECK(pseudonym(*users, "st-000124") != token);

  const std::string hash = hashed(*hasher, "st-000123");
  CHECK(hash.rfind("h1.", 0) == 0);
  CHECK(hash.size() == 3 + 43);
  CHECK(hashed(*hasher, "st-000123") == hash);
  CHECK(hashed(*other_hasher, "st-000123") != hash);
  CHECK(users->version() == 1);
  CHECK(users_v2->version() == 2);
  CHECK(hasher->version() == 1);
}

TEST_CASE("tokens append to the output string") {
  auto p = Pseudonymizer::create(test_secret(), 7, "user");
  auto h = Hasher::create(test_secret(), 7, "user");
  REQUIRE(p);
  REQUIRE(h);
  std::string out = "a,";
  REQUIRE(p->pseudonymize("x", out));
  out += ',';
  REQUIRE(h->hash("x", out));
  CHECK(out.rfind("a,p7.", 0) == 0);
  CHECK(out.find(",h7.") != std::string::npos);
}

TEST_CASE("reveal returns the original value of values of many lengths") {
  auto p = Pseudonymizer::create(test_secret(), 3, "name");
  REQUIRE(p);
  std::string value;
  for (int i = 0; i < 300; ++i) {
    value += static_cast<char>('a' + i % 26);
    const std::string token = pseudonym(*p, value);
    auto revealed = p->reveal(token);
    REQUIRE(revealed);
    CHECK(*revealed == value);
  }
  const std::string unicode =
      "Ana Mar\xc3\xad"
      "a";
  auto revealed = p->reveal(pseudonym(*p, unicode));
  REQUIRE(revealed);
  CHECK(*revealed == unicode);
}

TEST_CASE("reveal refuses tokens of another domain, key version or kind") {
  const Bytes secret = test_secret();
  Bytes secret_v2 = test_secret();
  secret_v2[0] ^= 0xff;  // each key version has its own secret in the keyring
  auto users = Pseudonymizer::create(secret, 1, "user");
  auto emails = Pseudonymizer::create(secret, 1, "email");
  auto users_v2 = Pseudonymizer::create(secret_v2, 2, "user");
  auto hasher = Hasher::create(secret, 1, "user");
  REQUIRE(users);
  REQUIRE(emails);
  REQUIRE(users_v2);
  REQUIRE(hasher);
  const std::string token = pseudonym(*users, "st-000123");

  auto other_domain = emails->reveal(token);
  REQUIRE_FALSE(other_domain);
  CHECK(other_domain.error().code == ErrorCode::kCorrupt);
  CHECK(other_domain.error().message ==
        "token does not belong to domain 'email' or key version 1 (authentication failed)");

  auto other_version = users_v2->reveal(token);
  REQUIRE_FALSE(other_version);
  CHECK(other_version.error().message.find("key version 1") != std::string::npos);

  // Same body, relabelled as version 2: that version's key differs, so authentication fails.
  auto relabelled = users_v2->reveal("p2." + token.substr(3));
  REQUIRE_FALSE(relabelled);
  CHECK(relabelled.error().code == ErrorCode::kCorrupt);

  auto hash = users->reveal(hashed(*hasher, "st-000123"));
  REQUIRE_FALSE(hash);
  CHECK(hash.error().message.find("one-way") != std::string::npos);
}

TEST_CASE("malformed tokens are rejected with a clear error") {
  auto p = Pseudonymizer::create(test_secret(), 1, "user");
  REQUIRE(p);
  const std::string token = pseudonym(*p, "st-000123");
  const std::string body = token.substr(3);
  const std::string malformed[] = {
      "",                      // empty
      "x1." + body,            // wrong prefix
      "P1." + body,            // prefix is lower case
      "p." + body,             // no version
      "p01." + body,           // leading zero
      "p-1." + body,           // sign
      "p99999999999." + body,  // beyond 32 bits
      "p1" + body,             // no dot
      "p1." + body + "=",      // padding
      "p1." + body + "==",
      "p1." + body.substr(0, body.size() - 1) + "+",       // standard alphabet
      "p1." + body.substr(0, 10) + "*" + body.substr(11),  // bad character
      "p1." + body.substr(0, body.size() - 1),             // truncated: trailing bits or length
      "p1.AAAAAAAAAAAAAAAAAAAAAA",                         // 16 bytes: a synthetic IV and no value
      "p1.",                                               // nothing at all
  };
  for (const std::string& bad : malformed) {
    INFO("token '" << bad << "'");
    auto revealed = p->reveal(bad);
    REQUIRE_FALSE(revealed);
    CHECK_FALSE(revealed.error().message.empty());
    CHECK_FALSE(token_version(bad));
  }
  auto too_short = p->reveal("p1.AAAAAAAAAAAAAAAAAAAAAA");
  REQUIRE_FALSE(too_short);
  CHECK(too_short.error().message.find("too short") != std::string::npos);
}

TEST_CASE("token_version reads the key version of both token kinds") {
  auto p = Pseudonymizer::create(test_secret(), 12, "user");
  auto h = Hasher::create(test_secret(), 4294967295U, "user");
  REQUIRE(p);
  REQUIRE(h);
  auto pv = token_version(pseudonym(*p, "v"));
  auto hv = token_version(hashed(*h, "v"));
  REQUIRE(pv);
  REQUIRE(hv);
  CHECK(*pv == 12);
  CHECK(*hv == 4294967295U);
  CHECK_FALSE(token_version("h1.AAAA"));  // a hash is 32 bytes
}

TEST_CASE("domains must match [a-z0-9_.-]+") {
  CHECK(is_valid_domain("user"));
  CHECK(is_valid_domain("org.school_1-x"));
  CHECK_FALSE(is_valid_domain(""));
  CHECK_FALSE(is_valid_domain("User"));
  CHECK_FALSE(is_valid_domain("user/id"));
  CHECK_FALSE(is_valid_domain("user id"));
  CHECK_FALSE(is_valid_domain("usér"));
  auto bad = Pseudonymizer::create(test_secret(), 1, "Users");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK_FALSE(Hasher::create(test_secret(), 1, "a b"));
}

TEST_CASE("token objects refuse empty values and short secrets") {
  auto p = Pseudonymizer::create(test_secret(), 1, "user");
  auto h = Hasher::create(test_secret(), 1, "user");
  REQUIRE(p);
  REQUIRE(h);
  std::string out;
  CHECK_FALSE(p->pseudonymize("", out));
  CHECK_FALSE(h->hash("", out));
  CHECK(out.empty());
  CHECK_FALSE(Pseudonymizer::create(Bytes(8, 1), 1, "user"));
  CHECK_FALSE(Hasher::create(Bytes(), 1, "user"));
}

TEST_CASE("a moved pseudonymizer keeps working") {
  auto p = Pseudonymizer::create(test_secret(), 1, "user");
  REQUIRE(p);
  const std::string before = pseudonym(*p, "abc");
  Pseudonymizer moved = std::move(*p);
  CHECK(pseudonym(moved, "abc") == before);
}

}  // namespace
}  // namespace ferry::crypto
