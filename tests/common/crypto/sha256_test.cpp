#include "common/crypto/sha256.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "tests/common/crypto/crypto_test_util.hpp"

namespace ferry::crypto {
namespace {

using test::to_hex;

TEST_CASE("SHA-256 matches the FIPS 180-2 examples, call after call on one object") {
  auto sha = Sha256::create();
  REQUIRE(sha);
  // Twice each, interleaved: the reused context carries nothing from one digest to the next.
  for (int round = 0; round < 2; ++round) {
    CHECK(to_hex(sha->digest(as_bytes("abc")).value()) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(to_hex(sha->digest(as_bytes("")).value()) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(to_hex(sha->digest(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                     .value()) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }
  const std::string million(1000000, 'a');
  CHECK(to_hex(sha->digest(as_bytes(million)).value()) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace ferry::crypto
