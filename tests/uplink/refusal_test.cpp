// Connections the agent must refuse, or that the tenant refuses: `ferry sync` gives up at its
// --timeout with exit 1 and says why on stderr, and nothing is lost: the spool keeps every batch,
// and a tenant that does accept the agent later gets every row once.
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <netdb.h>

#include "tests/support/skip.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

bool resolves(const char* host) {
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host, nullptr, nullptr, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  return rc == 0;
}

using Catch::Matchers::Contains;

constexpr long kDay = 24L * 3600;

// Runs `ferry sync --timeout 3s` with `config` (its port set to `refusing`'s) and checks that it
// fails with each of `messages` on stderr. Then delivers the same spool to a well-behaved tenant.
void check_refused(UplinkSite& site, TenantProcess& refusing, AgentConfig config,
                   const std::vector<std::string>& messages) {
  refusing.start();
  config.port = refusing.port();
  site.configure(config);
  const auto expected = site.preview();

  const auto refused = site.sync("3s");
  INFO("sync: " << refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  for (const auto& message : messages) CHECK_THAT(refused.err, Contains(message));
  CHECK(site.stored_lines() == 0);
  const auto kept = site.spool_batches();
  CHECK(kept.value_or(0) > 0);

  // Nothing was lost: the spooled batches all reach a tenant that accepts the agent.
  refusing.kill();
  TenantProcess good(site);
  good.start();
  site.configure({.port = good.port()});
  const auto delivered = site.sync();
  INFO("second sync: " << delivered.out << delivered.err);
  CHECK(delivered.exit_code == 0);
  CHECK_THAT(delivered.out, Contains("sent: " + std::to_string(kept.value_or(0)) + " batches"));
  check_stored(site, expected);
  CHECK(site.spool_batches() == 0u);
}

TEST_CASE("a tenant offering only TLS 1.2 is refused", "[uplink][refusal]") {
  UplinkSite site;
  TenantProcess tenant(site, {"--tls12-only"});
  check_refused(site, tenant, {}, {"does not offer TLS 1.3"});
}

TEST_CASE("a certificate of another CA is refused", "[uplink][refusal]") {
  UplinkSite site;
  auto other = pki::make_ca("Some other CA");
  REQUIRE(other);
  const auto other_ca = site.dir().write("pki/other-ca.pem", other->cert_pem);
  TenantProcess tenant(site);
  // The message names the file and who issued the server's certificate.
  check_refused(site, tenant, {.ca_file = other_ca},
                {"not accepted", "does not chain to a trusted CA in uplink.ca_file " +
                                     other_ca.string(),
                 "it is issued by CN=Ferry uplink test CA"});
}

// The server certificate of the next two test cases: for other.example only.
struct OtherHostSite {
  OtherHostSite() {
    pki::CertOptions options;
    options.common_name = "other.example";
    options.dns_names = {"other.example"};
    options.ip_addresses = {};
    auto issued = pki::issue(site.ca(), options);
    REQUIRE(issued);
    cert = site.write_cert("other-host", *issued);
  }
  UplinkSite site;
  std::filesystem::path cert;
  std::filesystem::path key() const { return site.dir() / "pki/other-host.key"; }
};

TEST_CASE("a certificate for another host name is refused (an IP address in the URL)",
          "[uplink][refusal]") {
  OtherHostSite other;
  TenantProcess tenant(other.site, {}, other.cert, other.key());
  check_refused(other.site, tenant, {}, {"not accepted", "is not issued for 127.0.0.1"});
}

TEST_CASE("a certificate for another host name is refused (a host name in the URL)",
          "[uplink][refusal]") {
  // A minimal chroot (the CI's fresh Debian tree) may have no /etc/hosts, and then no name
  // resolves at all; the IP address case above still checks the refusal there.
  if (!resolves("localhost"))
    FERRY_SKIP("localhost does not resolve on this machine (no /etc/hosts?)");
  OtherHostSite other;
  TenantProcess tenant(other.site, {}, other.cert, other.key());
  check_refused(other.site, tenant, {.host = "localhost"},
                {"not accepted", "is not issued for localhost"});
}

TEST_CASE("an expired certificate is refused", "[uplink][refusal]") {
  UplinkSite site;
  pki::CertOptions options;
  options.not_before_s = -2 * kDay;
  options.not_after_s = -1 * kDay;
  auto issued = pki::issue(site.ca(), options);
  REQUIRE(issued);
  const auto pem = site.write_cert("expired", *issued);
  TenantProcess tenant(site, {}, pem, site.dir() / "pki/expired.key");
  check_refused(site, tenant, {}, {"not accepted", "certificate has expired"});
}

TEST_CASE("a token the tenant does not know is reported", "[uplink][refusal]") {
  UplinkSite site;
  SECTION("the tenant refuses every token") {
    TenantProcess tenant(site, {"--refuse-tokens"});
    check_refused(site, tenant, {}, {"rejected the agent token (HTTP 401)"});
  }
  SECTION("a wrong token") {
    TenantProcess tenant(site);
    check_refused(site, tenant, {.token = "not-the-right-token"},
                  {"rejected the agent token (HTTP 401)"});
  }
}

TEST_CASE("a WebSocket without the ferry.v1 subprotocol is refused", "[uplink][refusal]") {
  UplinkSite site;
  TenantProcess tenant(site, {"--no-subprotocol"});
  check_refused(site, tenant, {}, {"without selecting the ferry.v1"});
}

}  // namespace
}  // namespace ferry::test
