// The same tokens on every system (SPEC section 4): a key export made on Linux (by `ferry keys
// export`, synthetic keys), imported here, gives the tokens written below, which the Linux build
// computed. The test runs in the Linux and the Windows builds alike, so a key moved between the
// two gives identical tokens on both.
#include <cstdint>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "agent/policy/token_factory.hpp"
#include "common/keys/keyring.hpp"
#include "common/keys/keyring_export.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::policy {
namespace {

// Versions 1 and 2 with the secrets 00..1f and 20..3f, exported under kPassphrase (scrypt N=2^14,
// as tests use: the format stores the cost).
constexpr std::string_view kExport =
    R"({"format":"ferry-key-export-1","exported":"2027-01-15T08:00:00Z","agent_id":"school-042",)"
    R"("active":2,"keys":[{"version":1,"created":"2027-01-01T00:00:00Z"},{"version":2,)"
    R"("created":"2027-02-01T00:00:00Z"}],"kdf":{"name":"scrypt","n":16384,"r":8,"p":1,)"
    R"("salt":"0T5KUWKZe2dnBryp02JoNw=="},"cipher":{"name":"aes-256-gcm",)"
    R"("nonce":"D4h+EDg9/6iul7mx"},"ciphertext":"NPgucRqooNEXryajBJ8sYIxK8p9HqD0PH053URdAU8ZIz)"
    R"(ougUG2yftLkqhn+0U1kQcrLGTWGPHFV91+p0OtHISq12k7XbeR7XJDb2EFlRCRni1IZiaEAAWsM3EduMYomBhKV7)"
    R"(jKkRiKwsnzmEmwvpRmwRQerxZYGVBuq3p2deQSw+RFe1MZcRN1e1FHXA62mIh8T1vjuWvzBaC1sie+njSMuHHRs)"
    R"(l0LYq9C093gXycGLQCP1Yov+OYSqFn5lCZflMyMx7Ac9j0oWpP5Xcfdg6pCpfgTg1gBvZXX7PhA9DoIGqSRfXZ7f)"
    R"(w9CEyG42sHRs7ipk73mkr2Vz8d8jZ0tJRQWrpQV2hhacim0EppS4ovBGLJkWLIq9Vz+dt/q/nZoRvsjLtAg="})";
constexpr std::string_view kPassphrase = "correct horse battery staple";

struct Expected {
  std::uint32_t version;
  std::string_view pseudonym;
  std::string_view hash;
};
// The tokens of "alice@example.org" in the domain "email", as the Linux build makes them.
constexpr Expected kTokens[] = {
    {1, "p1.AUiaRHm_w7XCWfEtG4-MmIiy5amO-etv6k0Mwo0Hr2dp",
     "h1.LwXTylk7NErKy41auL3-RYVJMrjIrLEaERUqKLGs7U0"},
    {2, "p2.RHSyP4dQpMrd2gJoeYlJF_6KiwBc3CztuAK9lZPPllMu",
     "h2.yAv0PPOtvpIh7nAgMja0mFAGkgI6Xus13qgVGjbHRoI"},
};

TEST_CASE("a key export imported on this system gives the tokens the Linux build gives") {
  test::TempDir dir;
  const auto keyring_file = dir / "keyring.json";
  auto file = keys::parse_export(kExport, dir / "keys.ferrykey");
  REQUIRE(file);
  const crypto::ByteView passphrase(reinterpret_cast<const unsigned char*>(kPassphrase.data()),
                                    kPassphrase.size());
  auto opened = keys::open_export(*file, passphrase, dir / "keys.ferrykey", keyring_file);
  REQUIRE(opened);
  // Written as `keys import` writes it, and read back through this system's secret-file rule.
  REQUIRE(keys::Keyring::restore(*opened, keyring_file));
  auto keyring = keys::Keyring::load(keyring_file);
  REQUIRE(keyring);
  CHECK(keyring->active().version == 2);

  for (const Expected& expected : kTokens) {
    INFO("key version " << expected.version);
    auto factory = TokenFactory::for_keyring(*keyring, expected.version);
    auto pseudonymizer = factory.pseudonymizer("email");
    REQUIRE(pseudonymizer);
    std::string pseudonym;
    REQUIRE((*pseudonymizer)->pseudonymize("alice@example.org", pseudonym));
    CHECK(pseudonym == expected.pseudonym);
    CHECK((*pseudonymizer)->reveal(pseudonym).value() == "alice@example.org");
    auto hasher = factory.hasher("email");
    REQUIRE(hasher);
    std::string hash;
    REQUIRE((*hasher)->hash("alice@example.org", hash));
    CHECK(hash == expected.hash);
  }
}

}  // namespace
}  // namespace ferry::policy
