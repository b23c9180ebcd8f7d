// sftp settings on Linux: secret files whose modes let others read them.
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
using ferry::config::test::diagnostics_of;
using ferry::config::test::test_catalog;

using namespace ferry::config::test::sftp_yaml;

TEST_CASE("an sftp password comes from the environment or a file") {
  ferry::test::set_env("FERRY_TEST_SFTP_PASSWORD", "from the environment");
  auto loaded = load_config_text(with_sftp("      {host: h, port: 2222, user: u, password: "
                                           "\"${FERRY_TEST_SFTP_PASSWORD}\", host_key: \"" +
                                           std::string(kPin) + "\", path: exports, settle: 0s}\n"),
                                 "ferry.yaml", test_catalog());
  ferry::test::unset_env("FERRY_TEST_SFTP_PASSWORD");
  REQUIRE(loaded);
  CHECK(loaded->sources[0].sftp->password == "from the environment");
  CHECK(loaded->sources[0].sftp->port == 2222);
  CHECK(loaded->sources[0].sftp->settle == std::chrono::seconds(0));

  ferry::test::TempDir dir;
  const auto password = dir.write("password", "s3cret\r\n");
  ::chmod(password.c_str(), 0644);
  const auto diagnostics =
      diagnostics_of(with_sftp("      {host: h, user: u, password_file: " + password.string() +
                               ", host_key: \"" + std::string(kPin) + "\", path: x}\n"));
  REQUIRE(diagnostics.size() == 1);
  CHECK_THAT(diagnostics[0], Catch::Contains("'password_file' in sftp of source 'sis': " +
                                             password.string() + " is readable by others"));
  ::chmod(password.c_str(), 0600);
  auto from_file =
      load_config_text(with_sftp("      {host: h, user: u, password_file: " + password.string() +
                                 ", host_key: \"" + std::string(kPin) + "\", path: x}\n"),
                       "ferry.yaml", test_catalog());
  REQUIRE(from_file);
  CHECK(from_file->sources[0].sftp->password == "s3cret");
}

TEST_CASE("an sftp key file that is missing or shared stops the configuration") {
  ferry::test::TempDir dir;
  const std::string pin = ", host_key: \"" + std::string(kPin) + "\"";
  const auto missing = diagnostics_of(
      with_sftp("      {host: h, user: u, path: x, private_key_file: " + (dir / "nokey").string() +
                pin + "}\n"));
  REQUIRE(missing.size() == 1);
  CHECK_THAT(missing[0], Catch::Contains("'private_key_file' in sftp of source 'sis': ") &&
                             Catch::Contains((dir / "nokey").string()));
  const auto key = dir.write("key", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  ::chmod(key.c_str(), 0644);
  const auto shared = diagnostics_of(with_sftp(
      "      {host: h, user: u, path: x, private_key_file: " + key.string() + pin + "}\n"));
  REQUIRE(shared.size() == 1);
  CHECK_THAT(shared[0], Catch::Contains("is readable by others (mode 0644)") &&
                            !Catch::Contains("BEGIN OPENSSH"));
}
