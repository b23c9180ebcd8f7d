#include "tests/tenant/token_maps.hpp"

#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace ferry::tenant {
namespace {

TEST_CASE("rekey lines parse and refuse what is not a map") {
  auto maps = parse_rekey_lines(
      "{\"domain\":\"user\",\"old\":\"p1.AAA\",\"new\":\"p2.BBB\"}\n\n"
      "{\"domain\":\"email\",\"old\":\"h1.C-_\",\"new\":\"h2.D\"}\n");
  REQUIRE(maps);
  REQUIRE(maps->size() == 2);
  CHECK(maps->at(1).old_token == "h1.C-_");
  CHECK(maps->at(1).new_token == "h2.D");
  for (const char* bad : {"{\"domain\":\"user\",\"old\":\"p1.A\"}",
                          "{\"domain\":\"\",\"old\":\"p1.A\",\"new\":\"p2.B\"}",
                          "{\"domain\":\"user\",\"old\":\"p1.A,p1.B\",\"new\":\"p2.B\"}",
                          "{\"domain\":\"user\",\"old\":\"p1.A\",\"new\":\"p2 B\"}", "[1]",
                          "not json"}) {
    INFO(bad);
    auto parsed = parse_rekey_lines(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.find("rekey line 1") != std::string::npos);
  }
}

TEST_CASE("rewriting replaces whole tokens and list elements only") {
  const TokenMapping mapping = {{"p1.AAA", "p2.XXXX"}, {"h1.B", "h2.Y"}};
  std::string out;
  const auto replaced = rewrite_tokens(
      R"({"_op":"upsert","sourcedId":"p1.AAA","orgs":"p1.Z,p1.AAA,h1.B","n":"p1.AAAB",)"
      R"("m":"xp1.AAA","k":"p1.AAA"})"
      "\n",
      mapping, out);
  CHECK(replaced == 4);
  CHECK(out ==
        R"({"_op":"upsert","sourcedId":"p2.XXXX","orgs":"p1.Z,p2.XXXX,h2.Y","n":"p1.AAAB",)"
        R"("m":"xp1.AAA","k":"p2.XXXX"})"
        "\n");
  out.clear();
  CHECK(rewrite_tokens("{\"a\":\"p1.Q\"}", mapping, out) == 0);
  CHECK(out == "{\"a\":\"p1.Q\"}");
}

TEST_CASE("tokens are found where a row holds them and pseudonyms tell their version") {
  std::vector<std::string> found;
  for_each_token(R"({"id":"p1.A","refs":"p12.B,h1.C","n":"xp1.D","k":"p1.E"})",
                 [&](std::size_t, std::string_view token) { found.emplace_back(token); });
  // Every quoted run of token characters, keys too: callers look each up or check its form.
  CHECK(found == std::vector<std::string>{"id", "p1.A", "refs", "p12.B", "h1.C", "n", "xp1.D", "k",
                                          "p1.E"});
  CHECK(pseudonym_version("p12.B") == 12u);
  CHECK(pseudonym_version("p1.") == std::nullopt);
  CHECK(pseudonym_version("h1.C") == std::nullopt);
  CHECK(pseudonym_version("px.C") == std::nullopt);
  CHECK(pseudonym_version("p.C") == std::nullopt);
}

}  // namespace
}  // namespace ferry::tenant
