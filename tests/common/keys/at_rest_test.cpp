// The key file's form on disk (at_rest.hpp): DPAPI-protected on Windows (through the real
// CryptProtectData: under Wine its blob is not bound to a machine as on Windows, so the
// "another machine" case is a damaged blob here), plain JSON on Linux; either way it loads back,
// and a file of the other form is read or refused with the way to move keys.
#include "common/keys/at_rest.hpp"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "common/fs/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::keys {
namespace {

using Catch::Matchers::Contains;

constexpr bool kWindows =
#if defined(_WIN32)
    true;
#else
    false;
#endif

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

TEST_CASE("the key file is DPAPI-protected on Windows, plain JSON elsewhere, and loads back") {
  test::TempDir dir;
  const auto path = dir / "keyring.json";
  auto created = Keyring::create(path, at(0));
  REQUIRE(created);
  const std::string on_disk = test::read_file(path);
  const std::string secret = crypto::base64_encode(created->active().secret);
  if (kWindows) {
    CHECK_THAT(on_disk, Contains("\"format\": \"ferry-keyring-dpapi-1\""));
    CHECK_THAT(on_disk, !Contains("ferry-keyring-1\""));
    CHECK_THAT(on_disk, !Contains(secret));
  } else {
    CHECK_THAT(on_disk, Contains("\"format\": \"ferry-keyring-1\""));
  }
  auto loaded = Keyring::load(path);
  REQUIRE(loaded);
  CHECK(loaded->active().secret == created->active().secret);
  // A rotation rewrites it in the same form.
  REQUIRE(loaded->rotate(at(60)));
  CHECK((test::read_file(path).find("ferry-keyring-dpapi-1") != std::string::npos) == kWindows);
  auto rotated = Keyring::load(path);
  REQUIRE(rotated);
  CHECK(rotated->versions().size() == 2);
}

TEST_CASE("a plain key file is read everywhere and written protected on Windows at its change") {
  test::TempDir dir;
  const auto path = dir / "keyring.json";
  auto made = Keyring::create(dir / "made.json", at(0));
  REQUIRE(made);
  const SecureText plain = made->serialize();
  REQUIRE(fs::write_file_atomically(path, std::string_view(plain.data(), plain.size()),
                                    fs::Access::kOwnerOnly, fs::Overwrite::kRefuse));
  auto loaded = Keyring::load(path);
  REQUIRE(loaded);
  CHECK(loaded->active().secret == made->active().secret);
  REQUIRE(loaded->rotate(at(60)));
  CHECK((test::read_file(path).find("ferry-keyring-dpapi-1") != std::string::npos) == kWindows);
}

TEST_CASE("a protected key file that cannot be opened here is refused with the way to move keys") {
  test::TempDir dir;
  const auto path = dir / "keyring.json";
  // What another machine's DPAPI wrote, as far as this one can tell: a blob it cannot open.
  const std::string foreign = "{\"format\": \"ferry-keyring-dpapi-1\", \"protected\": \"" +
                              crypto::base64_encode(crypto::Bytes(64, 0x5a)) + "\"}\n";
  REQUIRE(fs::write_file_atomically(path, foreign, fs::Access::kOwnerOnly, fs::Overwrite::kRefuse));
  auto loaded = Keyring::load(path);
  REQUIRE_FALSE(loaded);
  CHECK_THAT(loaded.error().message, Contains("keyring.json"));
  CHECK_THAT(loaded.error().message,
             Contains("ferry keys export") || Contains("ferry keys import"));
  if (kWindows) {
    CHECK(loaded.error().code == ErrorCode::kCrypto);
    CHECK_THAT(loaded.error().message, Contains("opens only on the machine that wrote it"));
  } else {
    CHECK_THAT(loaded.error().message, Contains("protected with Windows DPAPI"));
  }
}

TEST_CASE("a key file that names the protected format without its fields is damaged") {
  test::TempDir dir;
  const auto path = dir / "keyring.json";
  REQUIRE(fs::write_file_atomically(path, "{\"format\": \"ferry-keyring-dpapi-1\"}\n",
                                    fs::Access::kOwnerOnly, fs::Overwrite::kRefuse));
  auto loaded = Keyring::load(path);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == ErrorCode::kCorrupt);
  CHECK_THAT(loaded.error().message, Contains("is not a key file"));
}

}  // namespace
}  // namespace ferry::keys
