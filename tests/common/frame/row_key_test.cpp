#include "common/frame/row_key.hpp"

#include <catch2/catch.hpp>

namespace ferry::frame {
namespace {

TEST_CASE("a single key's value is not a composite key") {
  CHECK_FALSE(composite_key_parts(R"("p1.Aa")"));
  CHECK_FALSE(composite_key_parts("42"));
  CHECK_FALSE(composite_key_parts("null"));
  // A value that looks like members inside its quotes is still one value.
  CHECK_FALSE(composite_key_parts(R"("a\":\"b")"));
  CHECK_FALSE(composite_key_parts(""));
}

TEST_CASE("a composite key splits into its columns and values in order") {
  const auto parts = composite_key_parts(R"("classSourcedId":"c,1","userSourcedId":"p1.Aa","n":7)");
  REQUIRE(parts);
  REQUIRE(parts->size() == 3);
  CHECK((*parts)[0].name == R"("classSourcedId")");
  CHECK((*parts)[0].value == R"("c,1")");
  CHECK((*parts)[1].name == R"("userSourcedId")");
  CHECK((*parts)[1].value == R"("p1.Aa")");
  CHECK((*parts)[2].name == R"("n")");
  CHECK((*parts)[2].value == "7");
}

TEST_CASE("escaped quotes stay inside a composite key's values") {
  const auto parts = composite_key_parts(R"("a":"x\"y","b":null)");
  REQUIRE(parts);
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].value == R"("x\"y")");
  CHECK((*parts)[1].value == "null");
}

TEST_CASE("a damaged composite key is not split") {
  CHECK_FALSE(composite_key_parts(R"("a":)"));
  CHECK_FALSE(composite_key_parts(R"("a":"x",)"));
  CHECK_FALSE(composite_key_parts(R"("a":"x","b")"));
  CHECK_FALSE(composite_key_parts(R"("a":"x"extra)"));
  CHECK_FALSE(composite_key_parts(R"("a":{"b":1})"));
}

}  // namespace
}  // namespace ferry::frame
