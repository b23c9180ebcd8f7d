// The documented example configurations stay valid: they are what administrators copy.
#include <cstdlib>

#include <catch2/catch.hpp>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/support/testdata.hpp"

using namespace ferry::config;

namespace {

Settings load_example(std::string_view name) {
  const auto file = ferry::test::source_dir() / "docs" / "examples" / name;
  auto loaded = load_config(file, test::test_catalog());
  if (!loaded) {
    for (const Diagnostic& d : loaded.error()) UNSCOPED_INFO(d.to_string());
  }
  REQUIRE(loaded);
  return std::move(*loaded);
}

}  // namespace

TEST_CASE("the example config validates and uses the uplink, the preset and explicit field policies") {
  ::setenv("FERRY_TOKEN", "example-token", 1);
  const Settings s = load_example("ferry.yaml");
  ::unsetenv("FERRY_TOKEN");
  CHECK(s.uplink.enabled);
  CHECK(s.uplink.url == "wss://ingest.example.org/v1/agent");
  CHECK(s.uplink.token == "example-token");
  CHECK(s.uplink.tenant_public_key.size() == 32);
  REQUIRE(s.sources.size() == 1);
  CHECK(s.sources[0].type == "oneroster_csv");
  CHECK(s.sources[0].preset == "oneroster");
  REQUIRE(s.sources[0].streams.size() == 2);
  CHECK(s.sources[0].streams[0].name == "users");
  CHECK(s.sources[0].streams[1].name == "enrollments");
}

TEST_CASE("the example config names FERRY_TOKEN when it is not set") {
  ::unsetenv("FERRY_TOKEN");
  const auto file = ferry::test::source_dir() / "docs" / "examples" / "ferry.yaml";
  auto loaded = load_config(file, test::test_catalog());
  REQUIRE_FALSE(loaded);
  REQUIRE(loaded.error().size() == 1);
  CHECK(loaded.error()[0].message.find("FERRY_TOKEN is not set") != std::string::npos);
}

TEST_CASE("the offline example config validates with the uplink disabled") {
  const Settings s = load_example("offline.yaml");
  CHECK_FALSE(s.uplink.enabled);
  CHECK_FALSE(s.sources.empty());
}
