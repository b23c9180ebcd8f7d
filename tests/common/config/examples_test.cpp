// The documented example configurations stay valid: they are what administrators copy.
#include <cstdlib>

#include <catch2/catch.hpp>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/support/env_var.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

using namespace ferry::config;

namespace {

constexpr std::string_view kPlaceholder = "ZmVycnktZXhhbXBsZS10ZW5hbnQta2V5LTMyYnl0ZXM=";

// Loads a copy of the example with the tenant's key put in, as an administrator does first.
tl::expected<Settings, Diagnostics> load_edited(std::string_view name,
                                               const ferry::test::TempDir& dir) {
  const auto file = ferry::test::source_dir() / "docs" / "examples" / name;
  std::string text = ferry::test::read_file(file);
  const auto at = text.find(kPlaceholder);
  REQUIRE(at != std::string::npos);
  text.replace(at, kPlaceholder.size(), "ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=");
  return load_config(dir.write(std::string(name), text), test::test_catalog());
}

Settings load_example(std::string_view name) {
  ferry::test::TempDir dir;
  auto loaded = load_edited(name, dir);
  if (!loaded) {
    for (const Diagnostic& d : loaded.error()) UNSCOPED_INFO(d.to_string());
  }
  REQUIRE(loaded);
  return std::move(*loaded);
}

}  // namespace

TEST_CASE("the example config validates and uses the uplink, the preset and explicit field policies") {
  ferry::test::set_env("FERRY_TOKEN", "example-token");
  const Settings s = load_example("ferry.yaml");
  ferry::test::unset_env("FERRY_TOKEN");
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

TEST_CASE("the example configs as shipped are refused until the tenant's key is put in") {
  ferry::test::set_env("FERRY_TOKEN", "example-token");
  for (const char* name : {"ferry.yaml", "offline.yaml"}) {
    INFO(name);
    const auto file = ferry::test::source_dir() / "docs" / "examples" / name;
    auto loaded = load_config(file, test::test_catalog());
    REQUIRE_FALSE(loaded);
    REQUIRE(loaded.error().size() == 1);
    CHECK_THAT(loaded.error()[0].message,
               Catch::Contains("is the placeholder of Ferry's example configuration") &&
                   Catch::Contains("the vendor that runs the tenant gives it to you"));
  }
  ferry::test::unset_env("FERRY_TOKEN");
}

TEST_CASE("the example config names FERRY_TOKEN when it is not set") {
  ferry::test::unset_env("FERRY_TOKEN");
  ferry::test::TempDir dir;
  auto loaded = load_edited("ferry.yaml", dir);
  REQUIRE_FALSE(loaded);
  REQUIRE(loaded.error().size() == 1);
  CHECK(loaded.error()[0].message.find("FERRY_TOKEN is not set") != std::string::npos);
}

TEST_CASE("the offline example config validates with the uplink disabled") {
  const Settings s = load_example("offline.yaml");
  CHECK_FALSE(s.uplink.enabled);
  CHECK_FALSE(s.sources.empty());
}
