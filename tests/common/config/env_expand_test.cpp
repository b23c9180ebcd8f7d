#include "common/config/env_expand.hpp"

#include <map>

#include <catch2/catch.hpp>

#include "tests/support/env_var.hpp"

using ferry::config::EnvLookup;
using ferry::config::expand_env;

namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("env expansion replaces every ${NAME} with its value") {
  const auto env = fake_env({{"HOST", "ingest.example.org"}, {"PORT", "8443"}});
  CHECK(expand_env("wss://${HOST}:${PORT}/v1", env).value() == "wss://ingest.example.org:8443/v1");
  CHECK(expand_env("no references", env).value() == "no references");
  CHECK(expand_env("", env).value() == "");
}

TEST_CASE("env expansion accepts a variable that is set but empty") {
  CHECK(expand_env("a${EMPTY}b", fake_env({{"EMPTY", ""}})).value() == "ab");
}

TEST_CASE("env expansion names an unset variable") {
  auto result = expand_env("Bearer ${FERRY_TOKEN}", fake_env({}));
  REQUIRE_FALSE(result);
  CHECK(result.error().message ==
        "environment variable FERRY_TOKEN is not set: set it for ferry (for a service, in its "
        "environment file) or write the value here");
}

TEST_CASE("env expansion keeps lone dollars and writes $${ as a literal ${") {
  const auto env = fake_env({{"X", "1"}});
  CHECK(expand_env("cost $5 and $X", env).value() == "cost $5 and $X");
  CHECK(expand_env("$${X} is ${X}", env).value() == "${X} is 1");
  CHECK(expand_env("trailing $", env).value() == "trailing $");
}

TEST_CASE("env expansion refuses malformed references without echoing the text") {
  const auto env = fake_env({});
  auto unclosed = expand_env("s3cret${TOKEN", env);
  REQUIRE_FALSE(unclosed);
  CHECK(unclosed.error().message.find("s3cret") == std::string::npos);
  CHECK(unclosed.error().message ==
        "a '${' has no closing '}' (write ${NAME}, or $${ for a literal ${)");
  CHECK_FALSE(expand_env("${1ABC}", env));
  CHECK_FALSE(expand_env("${}", env));
  CHECK_FALSE(expand_env("${A-B}", env));
}

TEST_CASE("env expansion reads the process environment by default") {
  ferry::test::set_env("FERRY_TEST_ENV_EXPAND", "from-process");
  CHECK(expand_env("${FERRY_TEST_ENV_EXPAND}").value() == "from-process");
  ferry::test::unset_env("FERRY_TEST_ENV_EXPAND");
  CHECK_FALSE(expand_env("${FERRY_TEST_ENV_EXPAND}"));
}
