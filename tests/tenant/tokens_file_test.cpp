#include "tests/tenant/tokens_file.hpp"

#include <catch2/catch.hpp>

namespace ferry::tenant {
namespace {

TEST_CASE("a tokens file maps each token to its agent and tenant") {
  auto tokens = Tokens::parse(
      "# agents of district 7\n"
      "\n"
      "school-042 district-7 tok-aaa   # main building\n"
      "  school-043\tdistrict-7\ttok-bbb\r\n"
      "school-042 district-7 tok-ccc\n",
      "tokens.txt");
  REQUIRE(tokens);
  CHECK(tokens->size() == 3);
  auto found = tokens->find("tok-bbb");
  REQUIRE(found);
  CHECK(found->agent_id == "school-043");
  CHECK(found->tenant_id == "district-7");
  CHECK(tokens->find("tok-ccc")->agent_id == "school-042");
  CHECK_FALSE(tokens->find("tok-"));
  CHECK_FALSE(tokens->find(""));
}

TEST_CASE("a bad tokens line is reported with its file and line number") {
  auto missing = Tokens::parse("a t tok\nschool-042 district-7\n", "tokens.txt");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::StartsWith("tokens.txt:2: expected"));

  auto extra = Tokens::parse("a t tok extra\n", "tokens.txt");
  REQUIRE_FALSE(extra);
  CHECK_THAT(extra.error().message, Catch::Contains("tokens.txt:1:"));

  auto unsafe = Tokens::parse("# x\n../x t tok\n", "tokens.txt");
  REQUIRE_FALSE(unsafe);
  CHECK_THAT(unsafe.error().message, Catch::Contains("tokens.txt:2: agent id '../x'"));

  auto twice = Tokens::parse("a t tok\nb t tok\n", "tokens.txt");
  REQUIRE_FALSE(twice);
  CHECK_THAT(twice.error().message, Catch::Contains("tokens.txt:2: this token is already given"));
}

TEST_CASE("a tokens file without tokens is refused") {
  auto empty = Tokens::parse("# nothing yet\n\n", "tokens.txt");
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error().message, Catch::Contains("no tokens"));
}

}  // namespace
}  // namespace ferry::tenant
