#include "common/crypto/x25519.hpp"

#include <catch2/catch.hpp>

#include "tests/common/crypto/crypto_test_util.hpp"
#include "tests/common/crypto/known_answers.hpp"

namespace ferry::crypto {
namespace {

using test::from_hex;
using test::to_hex;

TEST_CASE("X25519 public keys and shared secret match RFC 9180 A.1") {
  const auto& v = test::known_answers::kHpkeRfc9180A11;
  auto pk_r = x25519_public_from_private(from_hex(v.sk_rm));
  auto pk_e = x25519_public_from_private(from_hex(v.sk_em));
  REQUIRE(pk_r);
  REQUIRE(pk_e);
  CHECK(to_hex(*pk_r) == v.pk_rm);
  CHECK(to_hex(*pk_e) == v.pk_em);
  // Both sides derive the same DH value.
  auto sender = x25519_derive(from_hex(v.sk_em), from_hex(v.pk_rm));
  auto receiver = x25519_derive(from_hex(v.sk_rm), from_hex(v.pk_em));
  REQUIRE(sender);
  REQUIRE(receiver);
  CHECK(*sender == *receiver);
}

TEST_CASE("X25519 generated key pairs agree on a shared secret") {
  auto alice = x25519_generate_keypair();
  auto bob = x25519_generate_keypair();
  REQUIRE(alice);
  REQUIRE(bob);
  CHECK(alice->private_key.size() == kX25519KeySize);
  CHECK(alice->public_key.size() == kX25519KeySize);
  auto derived_public = x25519_public_from_private(alice->private_key);
  REQUIRE(derived_public);
  CHECK(*derived_public == alice->public_key);
  auto ab = x25519_derive(alice->private_key, bob->public_key);
  auto ba = x25519_derive(bob->private_key, alice->public_key);
  REQUIRE(ab);
  REQUIRE(ba);
  CHECK(*ab == *ba);
  CHECK(alice->private_key != bob->private_key);
}

TEST_CASE("X25519 refuses a low-order peer key and wrong key sizes") {
  auto pair = x25519_generate_keypair();
  REQUIRE(pair);
  // The all-zero point has order 1: the shared secret would be all zeros.
  CHECK_FALSE(x25519_derive(pair->private_key, Bytes(32, 0)));
  CHECK_FALSE(x25519_derive(pair->private_key, Bytes(31, 9)));
  auto short_key = x25519_public_from_private(Bytes(16, 1));
  REQUIRE_FALSE(short_key);
  CHECK(short_key.error().message == "X25519 private key must be 32 bytes, got 16");
}

TEST_CASE("X25519 public key check refuses low-order points and takes a real key") {
  CHECK_FALSE(x25519_check_public_key(Bytes(32, 0)));
  Bytes one(32, 0);
  one[0] = 1;
  CHECK_FALSE(x25519_check_public_key(one));
  CHECK_FALSE(x25519_check_public_key(Bytes(31, 9)));
  auto pair = x25519_generate_keypair();
  REQUIRE(pair);
  CHECK(x25519_check_public_key(pair->public_key));
}

}  // namespace
}  // namespace ferry::crypto
