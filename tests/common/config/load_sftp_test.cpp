// `sftp:` of a file source: decoded into SftpSettings, its secrets read from their files at load
// time (never echoed), and each mistake reported at its place with the fix.
#include <cstdlib>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/config/load.hpp"
#include "tests/common/config/sftp_yaml.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/support/env_var.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::config::load_config_text;
using ferry::config::LoadOptions;
using ferry::config::test::diagnostics_of;
using ferry::config::test::test_catalog;
using Lines = std::vector<std::string>;

using namespace ferry::config::test::sftp_yaml;

TEST_CASE("an sftp source is decoded with its defaults and its secrets read") {
  ferry::test::TempDir dir;
  const auto key = dir.write_private("sftp_key", "not parsed here: libssh reads it at connect\n");
  const auto passphrase = dir.write_private("passphrase", "open sesame\n");
  auto loaded = load_config_text(with_sftp("      host: sftp.example.org\n"
                                           "      user: ferry\n"
                                           "      private_key_file: sftp_key\n"
                                           "      passphrase_file: passphrase\n"
                                           "      host_key: \"" +
                                           std::string(kPin) +
                                           "\"\n"
                                           "      path: /exports/oneroster_*.zip\n"),
                                 dir / "ferry.yaml", test_catalog());
  REQUIRE(loaded);
  REQUIRE(loaded->sources.size() == 1);
  const auto& sftp = loaded->sources[0].sftp;
  REQUIRE(sftp.has_value());
  CHECK(sftp->host == "sftp.example.org");
  CHECK(sftp->port == 22);
  CHECK(sftp->user == "ferry");
  CHECK(sftp->private_key_file == key);
  CHECK(sftp->passphrase == "open sesame");
  CHECK(sftp->host_key == kPin);
  CHECK(sftp->path == "/exports/oneroster_*.zip");
  CHECK(sftp->settle == std::chrono::seconds(30));
  CHECK(sftp->timeout == std::chrono::seconds(30));
  CHECK(sftp->service_dir == ferry::config::test::native_path("/d", dir / "ferry.yaml"));
  CHECK(loaded->sources[0].options.count("path") == 0);
}

TEST_CASE("a file source takes path or sftp, exactly one") {
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n"
                       "sources:\n  - {name: sis, type: oneroster_csv}\n") ==
        Lines{"ferry.yaml:4:5: missing required key 'path' in source 'sis' (the local folder or "
              "file to read), or sftp: to fetch it from an SFTP server"});
  CHECK(diagnostics_of(with_sftp("      {host: h, user: u, password: p, host_key: \"" +
                                 std::string(kPin) + "\", path: x}\n    path: /srv/x\n")) ==
        Lines{"ferry.yaml:8:5: set either path (a local folder or file) or sftp (fetched from an "
              "SFTP server) in source 'sis', not both"});
  // A source type that is not a file source has no sftp.
  const auto sqlite = diagnostics_of(
      "agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, tenant_public_key: "
      "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\nsources:\n"
      "  - {name: db, type: sqlite, path: /a, sftp: {host: h}}\n");
  REQUIRE(sqlite.size() == 1);
  CHECK_THAT(sqlite[0], Catch::Contains("unknown key 'sftp' in source 'db'"));
}

TEST_CASE("an sftp host key must be pinned, except for ferry check") {
  const std::string unpinned = with_sftp("      {host: h, user: u, password: p, path: x}\n");
  CHECK(diagnostics_of(unpinned) ==
        Lines{"ferry.yaml:7:7: the sftp of source 'sis' needs host_key: \"SHA256:...\" or "
              "known_hosts: FILE, so that Ferry knows the server it talks to (a key is never "
              "trusted on first use); `ferry check` shows the key the server offers, to compare "
              "with the fingerprint the SFTP server's owner gives"});
  auto for_check =
      load_config_text(unpinned, "ferry.yaml", test_catalog(),
                       LoadOptions{.read_secret_files = true, .allow_unpinned_host_keys = true});
  REQUIRE(for_check);
  CHECK(for_check->sources[0].sftp->host_key.empty());
  CHECK_FALSE(for_check->sources[0].sftp->known_hosts.has_value());

  CHECK(diagnostics_of(with_sftp("      {host: h, user: u, password: p, path: x, host_key: "
                                 "\"MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48\"}\n")) ==
        Lines{"ferry.yaml:7:58: 'host_key' in sftp of source 'sis' must be a SHA256 fingerprint "
              "as `ssh-keygen -lf` prints it, such as "
              "\"SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s\" (`ferry check` shows the "
              "one the server offers)"});
  const auto both =
      diagnostics_of(with_sftp("      host: h\n      user: u\n      password: p\n"
                               "      path: x\n      host_key: \"" +
                               std::string(kPin) + "\"\n      known_hosts: /nonexistent\n"));
  CHECK(both == Lines{"ferry.yaml:12:7: set either host_key or known_hosts in the sftp of source "
                      "'sis', not both"});
}

TEST_CASE("an sftp login takes one method, and a passphrase only with a key") {
  const std::string pin = ", host_key: \"" + std::string(kPin) + "\"";
  CHECK(diagnostics_of(with_sftp("      {host: h, user: u, path: x" + pin + "}\n")) ==
        Lines{"ferry.yaml:7:7: the sftp of source 'sis' needs a way to log in: private_key_file "
              "(with passphrase_file if the key is encrypted), password_file, or password: "
              "${SFTP_PASSWORD}"});
  CHECK(diagnostics_of(with_sftp("      {host: h, user: u, path: x, password: a, password_file: "
                                 "/b" +
                                 pin + "}\n")) ==
        Lines{"ferry.yaml:7:7: the sftp of source 'sis' sets more than one of private_key_file, "
              "password_file and password: keep one"});
  CHECK(diagnostics_of(with_sftp("      {host: h, user: u, path: x, password: a, "
                                 "passphrase_file: /b" +
                                 pin + "}\n")) ==
        Lines{"ferry.yaml:7:48: 'passphrase_file' in sftp of source 'sis' is the passphrase of "
              "private_key_file, which the sftp of source 'sis' does not set"});
}

TEST_CASE("sftp keys are checked like every other map") {
  const std::string pin = ", host_key: \"" + std::string(kPin) + "\"";
  CHECK(diagnostics_of(
            with_sftp("      {host: h, user: u, password: p, path: /a/*/x.zip" + pin + "}\n")) ==
        Lines{"ferry.yaml:7:45: 'path' in sftp of source 'sis' may have wildcards (* ? [...]) in "
              "its last part only, as in /exports/oneroster_*.zip"});
  const auto unknown = diagnostics_of(
      with_sftp("      {host: h, user: u, password: p, path: x, hostkey: y" + pin + "}\n"));
  REQUIRE(unknown.size() == 1);
  CHECK_THAT(unknown[0], Catch::Contains("unknown key 'hostkey' in sftp of source 'sis' (did you "
                                         "mean 'host_key'?)"));
  CHECK(diagnostics_of(with_sftp("      {user: u, password: p" + pin + "}\n")) ==
        Lines{"ferry.yaml:7:7: missing required key 'host' in sftp of source 'sis' (the SFTP "
              "server's name or address)",
              "ferry.yaml:7:7: missing required key 'path' in sftp of source 'sis' (a remote "
              "folder, file, or glob such as /exports/oneroster_*.zip)"});
  const auto port = diagnostics_of(
      with_sftp("      {host: h, user: u, password: p, path: x, port: 70000" + pin + "}\n"));
  REQUIRE(port.size() == 1);
  CHECK_THAT(port[0], Catch::Contains("'port' in sftp of source 'sis'"));
}
