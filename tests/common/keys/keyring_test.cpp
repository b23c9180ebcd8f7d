#include "common/keys/keyring.hpp"

#include <chrono>

#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::keys {
namespace {

using test::TempDir;

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

TEST_CASE("keys init creates version 1 with a random 32-byte secret in a file for its owner only") {
  TempDir dir;
  const auto path = dir / "keyring.json";
  auto keyring = Keyring::create(path, at(1798761600));  // 2027-01-01T00:00:00Z
  REQUIRE(keyring);
  CHECK(test::owner_only(path));
  CHECK(keyring->active_version() == 1);
  REQUIRE(keyring->versions().size() == 1);
  CHECK(keyring->active().secret.size() == kSecretSize);
  CHECK(keyring->active().created == "2027-01-01T00:00:00Z");

  auto other = Keyring::create(dir / "other.json", at(0));
  REQUIRE(other);
  CHECK(other->active().secret != keyring->active().secret);
}

TEST_CASE("a created key file loads back with the same secret") {
  TempDir dir;
  const auto path = dir / "keyring.json";
  auto created = Keyring::create(path, at(0));
  REQUIRE(created);
  auto loaded = Keyring::load(path);
  REQUIRE(loaded);
  CHECK(loaded->active_version() == 1);
  CHECK(loaded->active().secret == created->active().secret);
  // The file's form (plain JSON, or DPAPI-protected on Windows): at_rest_test.cpp.
  CHECK(created->serialize().find("\"format\": \"ferry-keyring-1\"") != std::string::npos);
}

TEST_CASE("keys init refuses to overwrite an existing key file") {
  TempDir dir;
  const auto path = dir / "keyring.json";
  REQUIRE(Keyring::create(path, at(0)));
  const std::string before = test::read_file(path);
  auto again = Keyring::create(path, at(0));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kAlreadyExists);
  CHECK_THAT(again.error().message, Catch::Contains("refusing to overwrite"));
  CHECK(test::read_file(path) == before);
}

TEST_CASE("rotate adds a version, makes it active and keeps the old ones") {
  TempDir dir;
  const auto path = dir / "keyring.json";
  auto keyring = Keyring::create(path, at(0));
  REQUIRE(keyring);
  const auto first_secret = keyring->active().secret;
  auto version = keyring->rotate(at(86400));
  REQUIRE(version);
  CHECK(*version == 2);
  CHECK(keyring->active_version() == 2);
  CHECK(keyring->active().created == "1970-01-02T00:00:00Z");

  auto loaded = Keyring::load(path);
  REQUIRE(loaded);
  CHECK(loaded->active_version() == 2);
  REQUIRE(loaded->find(1) != nullptr);
  CHECK(loaded->find(1)->secret == first_secret);
  CHECK(loaded->find(2)->secret != first_secret);
  CHECK(test::owner_only(path));
}

TEST_CASE("rotations at the same time each add a version, from any stale copy") {
  TempDir dir;
  const auto path = dir / "keyring.json";
  REQUIRE(Keyring::create(path, at(0)));
  // Two copies loaded before either rotates, as two `ferry keys rotate` at once would have.
  auto first = Keyring::load(path);
  auto second = Keyring::load(path);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->rotate(at(1)).value() == 2);
  CHECK(second->rotate(at(2)).value() == 3);  // read again under the lock: version 2 is kept
  auto reloaded = Keyring::load(path);
  REQUIRE(reloaded);
  CHECK(reloaded->versions().size() == 3);
  CHECK(reloaded->active_version() == 3);
  CHECK(second->versions().size() == 3);
}

TEST_CASE("damaged key files are refused with a message naming the problem") {
  TempDir dir;
  const auto secret = crypto::base64_encode(crypto::Bytes(32, 7));
  auto load_text = [&](const std::string& text) {
    const auto path = dir.write_private("keyring.json", text);
    auto loaded = Keyring::load(path);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == ErrorCode::kCorrupt);
    return loaded.error().message;
  };
  CHECK_THAT(load_text("{not json"), Catch::Contains("is not valid JSON"));
  CHECK_THAT(load_text(R"({"format": "other", "active": 1, "keys": []})"),
             Catch::Contains("is not a Ferry key file"));
  CHECK_THAT(load_text(R"({"format": "ferry-keyring-1", "active": 2, "keys": [{"version": 1,
             "created": "2026-01-01T00:00:00Z", "secret": ")" +
                       secret + R"("}]})"),
             Catch::Contains("the active version 2 is not among the keys"));
  CHECK_THAT(load_text(R"({"format": "ferry-keyring-1", "active": 1, "keys": [{"version": 1,
             "created": "2026-01-01T00:00:00Z", "secret": "c2hvcnQ="}]})"),
             Catch::Contains("\"secret\" must be standard base64 of 32 bytes"));
  CHECK_THAT(load_text(R"({"format": "ferry-keyring-1", "active": 1, "keys": [
             {"version": 1, "created": "x", "secret": ")" +
                       secret + R"("},
             {"version": 1, "created": "x", "secret": ")" +
                       secret + R"("}]})"),
             Catch::Contains("key version 1 appears twice"));
}

TEST_CASE("a missing key file is reported as not found") {
  TempDir dir;
  auto loaded = Keyring::load(dir / "keyring.json");
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == ErrorCode::kNotFound);
}

}  // namespace
}  // namespace ferry::keys
