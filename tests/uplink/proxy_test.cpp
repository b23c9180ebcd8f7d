// The uplink through an HTTP CONNECT proxy with Basic credentials, and with a client certificate
// (mutual TLS).
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/support/connect_proxy.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("the uplink goes through an HTTP CONNECT proxy", "[uplink][proxy]") {
  UplinkSite site;
  TenantProcess tenant(site);
  tenant.start();
  ConnectProxy proxy("ferry:pr0xy-pass");
  const auto expected_preview = [&] {
    site.configure({.port = tenant.port()});
    return site.preview();
  };

  SECTION("with the right credentials") {
    const auto expected = expected_preview();
    site.configure({.port = tenant.port(),
                    .uplink_extra = fmt::format("  proxy: http://ferry:pr0xy-pass@127.0.0.1:{}\n",
                                                proxy.port())});
    const auto synced = site.sync();
    INFO(synced.out << synced.err);
    CHECK(synced.exit_code == 0);
    check_stored(site, expected);
    CHECK(site.spool_batches() == 0u);
    CHECK(proxy.connects_ok() >= 1);
    CHECK_THAT(proxy.last_request_head(),
               Contains(fmt::format("CONNECT 127.0.0.1:{} HTTP/1.1", tenant.port())));
  }
  SECTION("with a wrong password") {
    site.configure({.port = tenant.port(),
                    .uplink_extra = fmt::format("  proxy: http://ferry:wr0ng-pass@127.0.0.1:{}\n",
                                                proxy.port())});
    // A 407 is a refusal, like a 401: sync gives up at once (it would say "not done within
    // --timeout" otherwise), and nothing dials again at once, which could lock the account.
    const auto synced = site.sync("60s");
    INFO(synced.out << synced.err);
    CHECK(synced.exit_code == 1);
    CHECK_THAT(synced.err, Contains("not delivered: proxy") &&
                               Contains("refused the credentials (HTTP 407)"));
    CHECK_THAT(synced.err, !Contains("wr0ng-pass"));
    CHECK(proxy.auth_failures() == 1);
    CHECK(site.stored_bytes() == 0);
    CHECK(site.spool_batches().value_or(0) > 0);
  }
}

TEST_CASE("mutual TLS: a tenant that requires a client certificate", "[uplink][mtls]") {
  UplinkSite site;
  TenantProcess tenant(site, {"--client-ca", site.ca_pem().string()});
  tenant.start();

  SECTION("the agent presents one") {
    pki::CertOptions options;
    options.common_name = std::string(kAgentId);
    options.dns_names = {};
    options.ip_addresses = {};
    options.client = true;
    auto issued = pki::issue(site.ca(), options);
    REQUIRE(issued);
    const auto cert = site.write_cert("client", *issued);
    site.configure(
        {.port = tenant.port(),
         .uplink_extra = fmt::format("  client_cert: {}\n  client_key: {}\n", cert.string(),
                                     (site.dir() / "pki/client.key").string())});
    const auto expected = site.preview();
    const auto synced = site.sync();
    INFO(synced.out << synced.err);
    CHECK(synced.exit_code == 0);
    check_stored(site, expected);
    CHECK(site.spool_batches() == 0u);
  }
  SECTION("the agent has none") {
    site.configure({.port = tenant.port()});
    const auto synced = site.sync("3s");
    INFO(synced.out << synced.err);
    CHECK(synced.exit_code == 1);
    CHECK(site.stored_bytes() == 0);
    CHECK(site.spool_batches().value_or(0) > 0);
  }
}

}  // namespace
}  // namespace ferry::test
