// `ferry diagnose` end to end: the bundle holds what support needs, with secrets redacted, and no
// row value, secret or credential anywhere in it (the test greps every file of the bundle for the
// sample data's personal data and for every secret of the test configuration).
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/integration/csv_table.hpp"
#include "tests/support/process.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using Catch::Matchers::Contains;

constexpr std::string_view kProxyPassword = "proxy-pass-8c1e";

// Every file of the bundle, one after the other.
std::string bundle_text(const std::filesystem::path& bundle) {
  const auto listed = run_process({"/usr/bin/tar", "-xzOf", bundle.string()});
  REQUIRE(listed.exit_code == 0);
  return listed.out;
}

TEST_CASE("ferry diagnose bundles diagnostics without a row value or a secret", "[diagnose]") {
  UplinkSite site(30);
  TenantProcess tenant(site);
  tenant.start();
  site.configure({.port = tenant.port()});
  REQUIRE(site.sync().exit_code == 0);
  // A credential in a proxy URL, as an admin may write it.
  site.configure({.port = tenant.port(),
                  .uplink_extra = "  proxy: http://ferry:" + std::string(kProxyPassword) +
                                  "@127.0.0.1:9\n"});

  const auto dry = site.ferry({"diagnose", "--dry-run"});
  INFO(dry.out << dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Contains("config.yaml") && Contains("check.json") &&
                          Contains("status.json") && Contains("spool.txt"));
  const auto bundle = site.dir() / "support.tar.gz";
  CHECK_FALSE(std::filesystem::exists(bundle));

  const auto made = site.ferry({"diagnose", "--out", bundle.string()});
  INFO(made.out << made.err);
  REQUIRE(made.exit_code == 0);
  struct stat info {};
  REQUIRE(::stat(bundle.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto names = run_process({"/usr/bin/tar", "-tzf", bundle.string()});
  REQUIRE(names.exit_code == 0);
  for (const char* part : {"README.txt", "versions.txt", "config.yaml", "check.json",
                           "status.json", "log.txt", "spool.txt", "files.txt", "audit.txt"}) {
    CHECK_THAT(names.out, Contains(std::string("/") + part));
  }

  const std::string text = bundle_text(bundle);
  CHECK_THAT(text, Contains("REDACTED") && Contains("OpenSSL") && Contains("SQLite") &&
                       Contains("\"agent\":\"down\"") && Contains("stream=users pages=") &&
                       Contains(std::string(kAgentId)));
  // No secret of the configuration, of the key file or of the tenant.
  CHECK(text.find(kToken) == std::string::npos);
  CHECK(text.find(kProxyPassword) == std::string::npos);
  const std::string keyring = read_file(site.data_dir() / "keyring.json");
  const auto secret_at = keyring.find("\"secret\"");
  REQUIRE(secret_at != std::string::npos);
  const auto value_start = keyring.find('"', keyring.find(':', secret_at)) + 1;
  const std::string secret = keyring.substr(value_start, keyring.find('"', value_start) - value_start);
  REQUIRE(secret.size() == 44);
  CHECK(text.find(secret) == std::string::npos);
  CHECK(text.find(read_file(site.tenant_key()).substr(0, 44)) == std::string::npos);
  // No value of the export's people.
  const auto users = CsvTable::load(site.export_dir() / "users.csv");
  std::size_t checked = 0;
  for (const char* column : {"givenName", "familyName", "email", "username", "sourcedId"}) {
    for (const std::string& value : users.values(column)) {
      if (value.size() < 4) continue;
      INFO(column);
      CHECK(text.find(value) == std::string::npos);
      ++checked;
    }
  }
  CHECK(checked > 100);

  // Never overwritten.
  const auto again = site.ferry({"diagnose", "--out", bundle.string()});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Contains("never overwrites"));
  CHECK(site.ferry({"diagnose"}).exit_code == 2);
}

}  // namespace
}  // namespace ferry::test
