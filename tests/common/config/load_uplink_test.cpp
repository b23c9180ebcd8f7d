// The uplink's files (token_file, tenant_public_key_file, TLS files) are read or checked at load
// time, and their problems name the path and the operating system's reason.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/common/config/uplink_yaml.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

using ferry::config::load_config_text;
using ferry::config::test::diagnostics_of;
using ferry::config::test::test_catalog;
using Lines = std::vector<std::string>;

using namespace ferry::config::test::uplink_yaml;

TEST_CASE("token_file is read now and trimmed of its trailing newline") {
  ferry::test::TempDir dir;
  dir.write_private("token", "abc.def-123\r\n");
  auto loaded = load_config_text(
      uplink("  token_file: token\n  tenant_public_key: " + std::string(kKey) + "\n"),
      dir / "ferry.yaml", test_catalog());
  REQUIRE(loaded);
  CHECK(loaded->uplink.token == "abc.def-123");
  CHECK(loaded->uplink.token_file == dir / "token");
}

TEST_CASE("without secret files the token_file and client_key are neither read nor checked") {
  ferry::test::TempDir dir;
  // Missing altogether: only `ferry status`-like loading may pass over them.
  const std::string yaml = uplink(
      "  token_file: token\n  client_cert: cert.pem\n  client_key: "
      "key.pem\n  tenant_public_key: " +
      std::string(kKey) + "\n");
  dir.write("cert.pem", "certificate");
  REQUIRE_FALSE(load_config_text(yaml, dir / "ferry.yaml", test_catalog()));
  auto loaded =
      load_config_text(yaml, dir / "ferry.yaml", test_catalog(), {.read_secret_files = false});
  REQUIRE(loaded);
  CHECK(loaded->uplink.token.empty());
  CHECK(loaded->uplink.token_file == dir / "token");
  CHECK(loaded->uplink.client_key == dir / "key.pem");
}

TEST_CASE("token and token_file are exclusive, and one of them is required") {
  CHECK(diagnostics_of(uplink(
            "  token: a\n  token_file: /t\n  tenant_public_key: " + std::string(kKey) + "\n")) ==
        Lines{"ferry.yaml:5:3: set either uplink.token or uplink.token_file, not both"});
  CHECK(diagnostics_of(uplink("  tenant_public_key: " + std::string(kKey) + "\n")) ==
        Lines{"ferry.yaml:3:3: missing required key 'token' in uplink (write token: "
              "${FERRY_TOKEN}, or token_file: /etc/ferry/token)"});
  CHECK(diagnostics_of(uplink("  token: ''\n  tenant_public_key: " + std::string(kKey) + "\n")) ==
        Lines{"ferry.yaml:4:10: uplink.token is empty (if it comes from ${VAR}, that variable is "
              "set but empty)"});
}

TEST_CASE("the tenant public key must be base64 of exactly 32 bytes") {
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: AAECAwQ=\n")) ==
        Lines{"ferry.yaml:5:22: uplink.tenant_public_key decodes to 5 bytes, but an X25519 "
              "public key is 32 bytes (44 base64 characters): copy it exactly as `ferry-tenant "
              "keygen` printed it"});
  CHECK(diagnostics_of(uplink("  token: x\n")) ==
        Lines{"ferry.yaml:3:3: missing required key 'tenant_public_key' in uplink (the base64 "
              "public key that `ferry-tenant keygen` printed; or tenant_public_key_file); it is "
              "needed even with the uplink off, because batches are sealed to it before they "
              "are spooled"});
}

TEST_CASE("a tenant public key nobody can use is refused: the example's placeholder, low order") {
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: "
                              "ZmVycnktZXhhbXBsZS10ZW5hbnQta2V5LTMyYnl0ZXM=\n")) ==
        Lines{"ferry.yaml:5:22: uplink.tenant_public_key is the placeholder of Ferry's example "
              "configuration, and nobody holds its private key: batches sealed to it could never "
              "be opened. Put the tenant's public key here: the vendor that runs the tenant gives "
              "it to you (a test tenant's is printed by `ferry-tenant keygen`)"});
  const std::string low_order =
      "ferry.yaml:5:22: uplink.tenant_public_key is not a usable X25519 public key (all zeros, or "
      "a point of low order): nothing sealed to it could be kept secret; copy the key the vendor "
      "gave you exactly";
  // u = 0 (all zeros) and u = 1: points of small order, whose shared secret is all zeros.
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: "
                              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")) ==
        Lines{low_order});
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: "
                              "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")) ==
        Lines{low_order});
  // Another of the small-order points that implementations list (order 8).
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: "
                              "4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=\n")) ==
        Lines{low_order});
}

TEST_CASE("tenant_public_key_file is read and decoded") {
  ferry::test::TempDir dir;
  const auto key_file = dir.write("tenant.pub", std::string(kKey) + "\n");
  auto loaded = load_config_text(uplink("  token: x\n  tenant_public_key_file: tenant.pub\n"),
                                 dir / "ferry.yaml", test_catalog());
  REQUIRE(loaded);
  CHECK(loaded->uplink.tenant_public_key.size() == 32);
  CHECK(loaded->uplink.tenant_public_key_file == key_file);
}

TEST_CASE("tenant_next_public_key is optional and checked as tenant_public_key is") {
  ferry::test::TempDir dir;
  const std::string base = "  token: x\n  tenant_public_key: " + std::string(kKey) + "\n";
  auto without = load_config_text(uplink(base), dir / "ferry.yaml", test_catalog());
  REQUIRE(without);
  CHECK(without->uplink.tenant_next_public_key.empty());
  const auto key_file = dir.write("next.pub", std::string(kKey) + "\n");
  auto from_file = load_config_text(uplink(base + "  tenant_next_public_key_file: next.pub\n"),
                                    dir / "ferry.yaml", test_catalog());
  REQUIRE(from_file);
  CHECK(from_file->uplink.tenant_next_public_key.size() == 32);
  CHECK(from_file->uplink.tenant_next_public_key_file == key_file);
  CHECK(diagnostics_of(uplink(base + "  tenant_next_public_key: not-base64!\n")) ==
        Lines{"ferry.yaml:6:27: uplink.tenant_next_public_key is not valid base64: copy the public "
              "key exactly as `ferry-tenant keygen` printed it"});
  CHECK(diagnostics_of(uplink(base + "  tenant_next_public_key: " + std::string(kKey) +
                              "\n  tenant_next_public_key_file: next.pub\n")) ==
        Lines{"ferry.yaml:7:3: set either uplink.tenant_next_public_key or "
              "uplink.tenant_next_public_key_file, not both"});
}

TEST_CASE("client_cert and client_key go together and must be readable") {
  ferry::test::TempDir dir;
  const auto cert = dir.write("client.pem", "cert");
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: " + std::string(kKey) +
                              "\n  client_cert: " + cert.string() + "\n")) ==
        Lines{"ferry.yaml:6:3: uplink.client_cert needs uplink.client_key too: mutual TLS uses a "
              "certificate and its key together"});
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: " + std::string(kKey) +
                              "\n  ca_file: " + (dir / "ca.pem").string() + "\n")) ==
        Lines{"ferry.yaml:6:12: uplink.ca_file: cannot read " + (dir / "ca.pem").string() + ": " +
              ferry::test::missing_file_reason()});
}

TEST_CASE("a bad proxy is described without echoing its password") {
  const Lines lines =
      diagnostics_of(uplink("  token: x\n  tenant_public_key: " + std::string(kKey) +
                            "\n  proxy: https://bob:hunter2@proxy:3128\n"));
  CHECK(lines == Lines{"ferry.yaml:6:10: uplink.proxy must be an HTTP CONNECT proxy written "
                       "http://[user:pass@]host:port, as in http://proxy.school.lan:3128"});
  for (const std::string& line : lines) CHECK(line.find("hunter2") == std::string::npos);
}

TEST_CASE("allow_commands accepts only known tenant commands") {
  CHECK(diagnostics_of(uplink("  token: x\n  tenant_public_key: " + std::string(kKey) +
                              "\n  allow_commands: [sync_nwo]\n")) ==
        Lines{"ferry.yaml:6:20: unknown command 'sync_nwo' in uplink.allow_commands (did you mean "
              "'sync_now'? known: sync_now)"});
}

TEST_CASE("idle_timeout and reconnect delays are read, with their defaults") {
  auto defaults = load_config_text(uplink("  token: t\n  tenant_public_key: " + std::string(kKey) +
                                          "\n"),
                                   "ferry.yaml", test_catalog());
  REQUIRE(defaults);
  CHECK(defaults->uplink.idle_timeout == std::chrono::seconds(45));
  CHECK(defaults->uplink.reconnect.min_delay == std::chrono::seconds(1));
  CHECK(defaults->uplink.reconnect.max_delay == std::chrono::minutes(5));

  auto set = load_config_text(uplink("  token: t\n  tenant_public_key: " + std::string(kKey) +
                                     "\n  idle_timeout: 3s\n  reconnect: {min_delay: 100ms, "
                                     "max_delay: 2s}\n"),
                              "ferry.yaml", test_catalog());
  REQUIRE(set);
  CHECK(set->uplink.idle_timeout == std::chrono::seconds(3));
  CHECK(set->uplink.reconnect.min_delay == std::chrono::milliseconds(100));
  CHECK(set->uplink.reconnect.max_delay == std::chrono::seconds(2));
}

TEST_CASE("a reconnect max_delay below min_delay is refused where it is written") {
  CHECK(diagnostics_of(uplink("  token: t\n  tenant_public_key: " + std::string(kKey) +
                              "\n  reconnect:\n    min_delay: 10s\n    max_delay: 1s\n")) ==
        Lines{"ferry.yaml:8:16: uplink.reconnect.max_delay (1s) is shorter than min_delay (10s)"});
  CHECK(diagnostics_of(uplink("  token: t\n  tenant_public_key: " + std::string(kKey) +
                              "\n  reconnect: {max_dely: 1s}\n")) ==
        Lines{"ferry.yaml:6:15: unknown key 'max_dely' in uplink.reconnect (did you mean "
              "'max_delay'?)"});
}
