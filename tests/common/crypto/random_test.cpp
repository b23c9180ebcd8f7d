#include "common/crypto/random.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

namespace ferry::crypto {
namespace {

TEST_CASE("random_fill fills the whole buffer with fresh bytes each call") {
  std::vector<std::uint8_t> first(64, 0);
  std::vector<std::uint8_t> second(64, 0);
  REQUIRE(random_fill(first));
  REQUIRE(random_fill(second));
  // 2^-512 odds of a false failure.
  CHECK(first != second);
  CHECK(std::any_of(first.begin(), first.end(), [](std::uint8_t b) { return b != 0; }));
}

TEST_CASE("random_fill accepts an empty buffer") {
  std::vector<std::uint8_t> none;
  CHECK(random_fill(none));
}

TEST_CASE("random_secret returns the requested number of bytes") {
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{32}, std::size_t{1000}}) {
    auto secret = random_secret(size);
    REQUIRE(secret);
    CHECK(secret->size() == size);
  }
  auto a = random_secret(32);
  auto b = random_secret(32);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
}

}  // namespace
}  // namespace ferry::crypto
