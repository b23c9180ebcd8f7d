// The key export format (keyring_export.hpp): a round trip, the wrong passphrase, a change to any
// field, the associated data exactly as docs/security.md writes it, and Keyring::restore's rules
// for a key file already in place. A cheap scrypt cost (N=2^10) keeps these fast; the CLI tests
// run the default one.
#include "common/keys/keyring_export.hpp"

#include <chrono>
#include <functional>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "common/keys/export_record.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::keys {
namespace {

namespace json = boost::json;
using test::TempDir;

constexpr crypto::ScryptParams kCheap{1024, 8, 1};
constexpr std::string_view kPassphrase = "correct horse battery staple";

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

// A key file with versions 1..n (n-1 rotations) at `path`.
Keyring make_keyring(const std::filesystem::path& path, int versions) {
  auto keyring = Keyring::create(path, at(1798761600));  // 2027-01-01T00:00:00Z
  REQUIRE(keyring);
  for (int v = 2; v <= versions; ++v) REQUIRE(keyring->rotate(at(1798761600 + v * 86400)));
  return std::move(*keyring);
}

std::string seal(const Keyring& keyring, std::string_view passphrase = kPassphrase) {
  auto text =
      seal_export(keyring, crypto::as_bytes(passphrase), "school-042", at(1800000000), kCheap);
  REQUIRE(text);
  return *text;
}

Result<Keyring> open(const std::string& text, const std::filesystem::path& keyring_path,
                     std::string_view passphrase = kPassphrase) {
  auto file = parse_export(text, "backup.json");
  if (!file) return tl::unexpected(file.error());
  return open_export(*file, crypto::as_bytes(passphrase), "backup.json", keyring_path);
}

bool same_keys(const Keyring& a, const Keyring& b) {
  if (a.active_version() != b.active_version() || a.versions().size() != b.versions().size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.versions().size(); ++i) {
    if (a.versions()[i].version != b.versions()[i].version ||
        a.versions()[i].created != b.versions()[i].created ||
        a.versions()[i].secret != b.versions()[i].secret) {
      return false;
    }
  }
  return true;
}

// The export with one field changed by `edit`, serialised again.
std::string edited(const std::string& text, const std::function<void(json::object&)>& edit) {
  json::value root = json::parse(text);
  edit(root.as_object());
  return json::serialize(root);
}

// A base64 field with its first byte flipped.
std::string flipped(const json::string& encoded) {
  auto bytes = crypto::base64_decode(std::string_view(encoded));
  REQUIRE(bytes);
  (*bytes)[0] ^= 0x01;
  return crypto::base64_encode(*bytes);
}

TEST_CASE("a key export opens with its passphrase and gives back every version and secret") {
  TempDir dir;
  const Keyring keyring = make_keyring(dir / "keyring.json", 3);
  const std::string text = seal(keyring);
  // Nothing secret in the clear: no secret, in any encoding, appears in the file.
  for (const auto& key : keyring.versions()) {
    CHECK(text.find(crypto::base64_encode(key.secret)) == std::string::npos);
    CHECK(text.find(crypto::base64url_encode(key.secret)) == std::string::npos);
  }
  CHECK(text.find(std::string(kPassphrase)) == std::string::npos);

  auto file = parse_export(text, "backup.json");
  REQUIRE(file);
  CHECK(file->header.agent_id == "school-042");
  CHECK(file->header.exported == "2027-01-15T08:00:00Z");
  CHECK(file->header.active == 3);
  REQUIRE(file->header.keys.size() == 3);
  CHECK(file->header.keys[0].version == 1);
  CHECK(file->header.keys[0].created == "2027-01-01T00:00:00Z");
  CHECK(describe_versions(file->header.keys, file->header.active) == "key versions 1-3 (active 3)");

  auto opened = open(text, dir / "restored.json");
  REQUIRE(opened);
  CHECK(same_keys(*opened, keyring));
  CHECK(opened->path() == dir / "restored.json");
}

TEST_CASE("two exports of the same keys differ in salt nonce and ciphertext") {
  TempDir dir;
  const Keyring keyring = make_keyring(dir / "keyring.json", 1);
  auto first = json::parse(seal(keyring)).as_object();
  auto second = json::parse(seal(keyring)).as_object();
  CHECK(first.at("kdf").at("salt") != second.at("kdf").at("salt"));
  CHECK(first.at("cipher").at("nonce") != second.at("cipher").at("nonce"));
  CHECK(first.at("ciphertext") != second.at("ciphertext"));
}

TEST_CASE("a wrong passphrase is refused as wrong passphrase or damaged file") {
  TempDir dir;
  const std::string text = seal(make_keyring(dir / "keyring.json", 2));
  auto opened = open(text, dir / "restored.json", "correct horse battery stapler");
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == ErrorCode::kCorrupt);
  CHECK_THAT(opened.error().message,
             Catch::Contains("cannot open backup.json: wrong passphrase or damaged file"));
}

TEST_CASE("a change to any field of a key export is refused") {
  TempDir dir;
  const std::string text = seal(make_keyring(dir / "keyring.json", 2));
  const std::vector<std::pair<std::string, std::function<void(json::object&)>>> edits = {
      {"exported", [](json::object& o) { o["exported"] = "2027-01-16T08:00:00Z"; }},
      {"agent_id", [](json::object& o) { o["agent_id"] = "school-043"; }},
      {"active", [](json::object& o) { o["active"] = 1; }},
      {"keys[0].created",
       [](json::object& o) {
         o["keys"].as_array()[0].as_object()["created"] = "2026-01-01T00:00:00Z";
       }},
      {"keys[1].version",
       [](json::object& o) {
         o["keys"].as_array()[1].as_object()["version"] = 3;
         o["active"] = 3;
       }},
      {"a key left out",
       [](json::object& o) { o["keys"].as_array().erase(o["keys"].as_array().begin()); }},
      {"kdf.n", [](json::object& o) { o["kdf"].as_object()["n"] = 2048; }},
      {"kdf.r", [](json::object& o) { o["kdf"].as_object()["r"] = 4; }},
      {"kdf.p", [](json::object& o) { o["kdf"].as_object()["p"] = 2; }},
      {"kdf.salt",
       [](json::object& o) {
         o["kdf"].as_object()["salt"] = flipped(o["kdf"].as_object()["salt"].as_string());
       }},
      {"cipher.nonce",
       [](json::object& o) {
         o["cipher"].as_object()["nonce"] = flipped(o["cipher"].as_object()["nonce"].as_string());
       }},
      {"ciphertext",
       [](json::object& o) { o["ciphertext"] = flipped(o["ciphertext"].as_string()); }},
      {"ciphertext tag",
       [](json::object& o) {
         auto bytes = crypto::base64_decode(std::string_view(o["ciphertext"].as_string()));
         bytes->back() ^= 0x80;
         o["ciphertext"] = crypto::base64_encode(*bytes);
       }},
  };
  for (const auto& [field, edit] : edits) {
    INFO(field);
    auto opened = open(edited(text, edit), dir / "restored.json");
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == ErrorCode::kCorrupt);
    CHECK_THAT(opened.error().message, Catch::Contains("wrong passphrase or damaged file"));
  }
  // Re-serialising alone (other white space, the same values) still opens.
  CHECK(open(edited(text, [](json::object&) {}), dir / "restored.json"));
}

TEST_CASE("a key export with a field of the wrong shape is named as damaged") {
  TempDir dir;
  const std::string text = seal(make_keyring(dir / "keyring.json", 2));
  const std::vector<std::tuple<std::string, std::function<void(json::object&)>, std::string>>
      edits = {
          {"unknown field", [](json::object& o) { o["comment"] = "x"; },
           "\"comment\" is not part of the format"},
          {"kdf name", [](json::object& o) { o["kdf"].as_object()["name"] = "argon2id"; },
           "\"kdf.name\" must be \"scrypt\""},
          {"cipher name", [](json::object& o) { o["cipher"].as_object()["name"] = "aes-128-gcm"; },
           "\"cipher.name\" must be \"aes-256-gcm\""},
          {"n not a power of two", [](json::object& o) { o["kdf"].as_object()["n"] = 1000; },
           "\"kdf\" scrypt N must be a power of two"},
          {"n too large", [](json::object& o) { o["kdf"].as_object()["n"] = 1 << 24; },
           "needs more than 1024 MiB"},
          {"short nonce", [](json::object& o) { o["cipher"].as_object()["nonce"] = "AAAA"; },
           "\"cipher.nonce\" must hold 12 bytes"},
          {"salt not base64", [](json::object& o) { o["kdf"].as_object()["salt"] = "!!"; },
           "\"kdf.salt\" must be standard base64"},
          {"versions out of order",
           [](json::object& o) { o["keys"].as_array()[1].as_object()["version"] = 1; },
           "\"keys[1].version\" must be higher than the one before"},
          {"active not listed", [](json::object& o) { o["active"] = 7; },
           "\"active\" must be one of the versions"},
          {"agent id with a space", [](json::object& o) { o["agent_id"] = "school 42"; },
           "\"agent_id\" must use letters"},
          {"no ciphertext", [](json::object& o) { o.erase("ciphertext"); },
           "\"ciphertext\" must be a string"},
      };
  for (const auto& [what, edit, message] : edits) {
    INFO(what);
    auto file = parse_export(edited(text, edit), "backup.json");
    REQUIRE_FALSE(file);
    CHECK(file.error().code == ErrorCode::kCorrupt);
    CHECK_THAT(file.error().message,
               Catch::StartsWith("backup.json is damaged: ") && Catch::Contains(message));
  }
  auto newer = parse_export(
      edited(text, [](json::object& o) { o["format"] = "ferry-key-export-2"; }), "backup.json");
  REQUIRE_FALSE(newer);
  CHECK_THAT(newer.error().message,
             Catch::Contains("format ferry-key-export-2") && Catch::Contains("newer one"));
  auto other = parse_export("{\"format\": \"ferry-keyring-1\"}", "keyring.json");
  REQUIRE_FALSE(other);
  CHECK_THAT(other.error().message, Catch::StartsWith("keyring.json is not a Ferry key export"));
  CHECK_FALSE(parse_export("not json", "x.json"));
}

TEST_CASE("the associated data is one line per field as docs/security.md writes it") {
  ExportHeader header;
  header.exported = "2026-11-23T10:00:00Z";
  header.agent_id = "school-042";
  header.active = 2;
  header.keys = {{1, "2026-05-01T09:00:00Z"}, {2, "2026-11-01T09:00:00Z"}};
  header.kdf = {131072, 8, 1};
  header.salt = crypto::Bytes(16, 0xAB);
  header.nonce = crypto::Bytes(12, 0x01);
  CHECK(export_aad(header) ==
        "ferry-key-export-1\n"
        "exported 2026-11-23T10:00:00Z\n"
        "agent_id school-042\n"
        "active 2\n"
        "key 1 2026-05-01T09:00:00Z\n"
        "key 2 2026-11-01T09:00:00Z\n"
        "kdf scrypt 131072 8 1 q6urq6urq6urq6urq6urqw==\n"
        "cipher aes-256-gcm AQEBAQEBAQEBAQEB\n");
}

TEST_CASE("an export file lists its fields in the documented order") {
  TempDir dir;
  const std::string text = seal(make_keyring(dir / "keyring.json", 1));
  CHECK_THAT(text, Catch::StartsWith("{\"format\":\"ferry-key-export-1\",\"exported\":"
                                     "\"2027-01-15T08:00:00Z\",\"agent_id\":\"school-042\","
                                     "\"active\":1,\"keys\":[{\"version\":1,\"created\":"
                                     "\"2027-01-01T00:00:00Z\"}],\"kdf\":{\"name\":\"scrypt\","
                                     "\"n\":1024,\"r\":8,\"p\":1,\"salt\":\""));
  CHECK_THAT(text, Catch::Contains("\"cipher\":{\"name\":\"aes-256-gcm\",\"nonce\":\"") &&
                       Catch::EndsWith("\"}\n"));
}

TEST_CASE("restore writes a missing key file and keeps one with the same keys") {
  TempDir dir;
  const Keyring keyring = make_keyring(dir / "keyring.json", 2);
  const auto target = dir / "data" / "keyring.json";
  std::filesystem::create_directories(target.parent_path());
  auto created = Keyring::restore(keyring, target);
  REQUIRE(created);
  CHECK(*created == Keyring::Restored::kCreated);
  CHECK(test::owner_only(target));
  auto loaded = Keyring::load(target);
  REQUIRE(loaded);
  CHECK(same_keys(*loaded, keyring));

  auto again = Keyring::restore(keyring, target);
  REQUIRE(again);
  CHECK(*again == Keyring::Restored::kUnchanged);
}

TEST_CASE("restore brings a key file up to a later export of the same keys") {
  TempDir dir;
  Keyring keyring = make_keyring(dir / "keyring.json", 1);
  const Keyring before_rotation = keyring;
  REQUIRE(keyring.rotate(at(1800000000)));  // the export is made after this rotation
  const auto target = dir / "old.json";
  REQUIRE(Keyring::restore(before_rotation, target));  // the machine still has version 1 only
  auto extended = Keyring::restore(keyring, target);
  REQUIRE(extended);
  CHECK(*extended == Keyring::Restored::kExtended);
  auto loaded = Keyring::load(target);
  REQUIRE(loaded);
  CHECK(same_keys(*loaded, keyring));
  CHECK(loaded->active_version() == 2);

  // The other way round, an older export over the newer file, changes nothing.
  auto older = Keyring::restore(before_rotation, target);
  REQUIRE(older);
  CHECK(*older == Keyring::Restored::kNewerHeld);
  auto still = Keyring::load(target);
  REQUIRE(still);
  CHECK(same_keys(*still, keyring));
}

TEST_CASE("restore refuses to replace a different keyring and writes nothing") {
  TempDir dir;
  const Keyring mine = make_keyring(dir / "mine.json", 2);
  const Keyring other = make_keyring(dir / "other.json", 3);  // its own secrets
  const std::string before = test::read_file(dir / "mine.json");
  auto refused = Keyring::restore(other, dir / "mine.json");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kConflict);
  CHECK_THAT(refused.error().message,
             Catch::Contains("holds key version 1 with another secret than the import"));
  CHECK(test::read_file(dir / "mine.json") == before);
}

TEST_CASE("the export record says which active key was exported") {
  TempDir dir;
  Keyring keyring = make_keyring(dir / "keyring.json", 1);
  auto none = read_export_record(dir.path());
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE(
      write_export_record(dir.path(), {"2027-01-15T08:00:00Z", 1, keyring.active().created, 1}));
  CHECK(test::owner_only(export_record_path(dir.path())));
  auto record = read_export_record(dir.path());
  REQUIRE(record);
  REQUIRE(record->has_value());
  CHECK((*record)->exported == "2027-01-15T08:00:00Z");
  CHECK(holds_active_key(**record, keyring));
  // Never a secret in it.
  CHECK(test::read_file(export_record_path(dir.path()))
            .find(crypto::base64_encode(keyring.active().secret)) == std::string::npos);
  REQUIRE(keyring.rotate(at(1800000000)));
  CHECK_FALSE(holds_active_key(**record, keyring));
  // A new key file's version 1 is not the exported version 1.
  const Keyring fresh = make_keyring(dir / "fresh.json", 1);
  ExportRecord stale = **record;
  stale.active_created = "2026-01-01T00:00:00Z";
  CHECK_FALSE(holds_active_key(stale, fresh));
}

}  // namespace
}  // namespace ferry::keys
