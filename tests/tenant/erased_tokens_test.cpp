#include "tests/tenant/erased_tokens.hpp"

#include <catch2/catch.hpp>

namespace ferry::tenant {
namespace {

const TokenSet kErased = {"p1.AbC", "h1.xyz"};

TEST_CASE("erase lines parse into domain and token, blank lines skipped") {
  auto erased = parse_erase_lines(
      "{\"domain\":\"person\",\"token\":\"p1.AbC\"}\n\n{\"domain\":\"person\",\"token\":\"h1."
      "xyz\"}");
  REQUIRE(erased);
  REQUIRE(erased->size() == 2);
  CHECK((*erased)[0].domain == "person");
  CHECK((*erased)[0].token == "p1.AbC");
  CHECK((*erased)[1].token == "h1.xyz");
  CHECK(parse_erase_lines("").value().empty());
}

TEST_CASE("an erase line without a usable token is refused, naming the line") {
  for (const char* bad :
       {"{\"domain\":\"person\",\"token\":\"\"}", "{\"domain\":\"person\"}",
        "{\"domain\":\"\",\"token\":\"p1.a\"}", "{\"domain\":\"person\",\"token\":\"p1.a,p1.b\"}",
        "{\"domain\":\"person\",\"token\":7}", "[\"p1.a\"]", "not json"}) {
    INFO(bad);
    auto erased = parse_erase_lines(std::string("{\"domain\":\"d\",\"token\":\"p1.ok\"}\n") + bad);
    REQUIRE_FALSE(erased);
    CHECK(erased.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(erased.error().message, Catch::StartsWith("erase line 2 "));
  }
}

TEST_CASE("a row carries a token as a whole string value or as one list element") {
  CHECK(carries_token(R"({"_op":"upsert","sourcedId":"p1.AbC","name":"x"})", kErased));
  CHECK(carries_token(R"({"_op":"delete","sourcedId":"h1.xyz"})"
                      "\n",
                      kErased));
  CHECK(carries_token(R"({"id":"k","classes":"p1.zz,p1.AbC,p1.yy"})", kErased));
  CHECK(carries_token(R"({"id":"k","classes":"p1.AbC,"})", kErased));
  CHECK(carries_token(R"({"id":"k","nested":{"ids":["p1.q","h1.xyz"]}})", kErased));
  // Not a whole value or element: a prefix, a longer token, another case, a key, a number.
  CHECK_FALSE(carries_token(R"({"id":"p1.AbCd","classes":"p1.Ab,xp1.AbC"})", kErased));
  CHECK_FALSE(carries_token(R"({"id":"p1.abc"})", kErased));
  CHECK_FALSE(carries_token(R"({"p1.AbC":"x","n":1,"b":true,"z":null})", kErased));
  CHECK_FALSE(carries_token("not json p1.AbC", kErased));
  CHECK_FALSE(carries_token(R"({"id":"p1.AbC"})", TokenSet{}));
}

TEST_CASE("keeping lines without tokens keeps the other lines byte for byte") {
  const std::string text =
      "{\"id\":\"p1.AbC\"}\n{ \"id\" : \"p1.other\" }\n{\"c\":\"p1.x,h1.xyz\"}\n{\"id\":\"last\"}";
  std::string kept;
  CHECK(keep_lines_without_tokens(text, kErased, kept) == 2);
  CHECK(kept == "{ \"id\" : \"p1.other\" }\n{\"id\":\"last\"}");
}

}  // namespace
}  // namespace ferry::tenant
