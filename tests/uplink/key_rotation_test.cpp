// Key rotation end to end (docs/key-rotation.md): the real `ferry keys rotate`, `ferry sync` and
// `ferry run` against the real ferry-tenant. After a rotation the tenant holds exactly what a
// fresh sync under the new key would give it, row for row, although the agent sent only the maps
// and the rows that changed: no spurious upsert, no delete.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "tests/netfault/wait_until.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

std::size_t upserts_in(std::string_view text) { return count_of(text, "\"_op\":\"upsert\""); }

TEST_CASE("a key rotation amid a delivery leaves the tenant as a fresh sync under the new key",
          "[uplink][keys]") {
  UplinkSite site(60);
  TcpProxy front;
  std::optional<TenantProcess> tenant(std::in_place, site);
  tenant->start();
  front.forward_to(tenant->port());
  site.configure({.port = front.port(), .max_rows = 15, .uplink_extra = "  max_in_flight: 1\n"});
  REQUIRE(site.sync().exit_code == 0);
  std::size_t upserts_before = 0;
  for (const char* stream : kStreams) upserts_before += upserts_in(site.stored(stream));
  REQUIRE(upserts_before > 0);

  // A change spooled under version 1, not delivered, when the key rotates...
  REQUIRE(site.generate({"--users", "60", "--change-percent", "5", "--base-seed", "1", "--seed",
                         "7"})
              .exit_code == 0);
  REQUIRE(site.ferry({"sync", "--no-upload"}).exit_code == 0);
  const auto rotated = site.ferry({"keys", "rotate", "--yes"});
  INFO(rotated.out << rotated.err);
  REQUIRE(rotated.exit_code == 0);
  // ... and one made under version 2.
  REQUIRE(site.generate({"--users", "60", "--change-percent", "5", "--base-seed", "1", "--seed",
                         "8"})
              .exit_code == 0);
  const auto caught_up = site.ferry({"sync", "--no-upload"});
  INFO(caught_up.out << caught_up.err);
  REQUIRE(caught_up.exit_code == 0);

  // Delivery starts against a slow tenant, which is killed once the maps are in, and restarted.
  tenant->kill();
  tenant.emplace(site, std::vector<std::string>{"--ack-delay", "200ms"});
  tenant->start();
  front.forward_to(tenant->port());
  auto run = site.start_run();
  const auto rekey_file = site.tenant_out() / std::string(kAgentId) / "rekey.jsonl";
  REQUIRE(wait_until([&] { return std::filesystem::exists(rekey_file); }, 60s));
  tenant->kill();
  CHECK(site.spool_batches().value_or(0) > 0);  // the restart is amid the delivery
  tenant.emplace(site);
  tenant->start();
  front.forward_to(tenant->port());
  REQUIRE(wait_until([&] { return site.spool_batches() == std::optional<std::uint64_t>(0); },
                     120s));
  site.stop_run(run);

  // Row for row what a fresh sync under version 2 sends (preview: the whole export as sent).
  const auto expected = site.preview();
  std::size_t upserts_after = 0;
  for (const char* stream : kStreams) {
    INFO(stream);
    const std::string stored = site.stored(stream);
    const auto rows = materialized(stored);
    CHECK(rows == sorted_lines(expected.at(stream)));
    // No row the tenant holds carries a version-1 token (superseded upserts may: a name
    // changed before the rotation and again after it was never mapped, nor needs to be).
    for (const std::string& row : rows) {
      CHECK(row.find("p1.") == std::string::npos);
      CHECK(row.find("h1.") == std::string::npos);
    }
    CHECK(count_of(stored, "\"_op\":\"delete\"") == 0);
    upserts_after += upserts_in(stored);
  }
  // Only the changed users were sent again (their users and demographics rows, at most), not
  // the export.
  CHECK(upserts_after > upserts_before);
  CHECK(upserts_after - upserts_before <= 2 * 2 * 60 * 5 / 100 + 4);
  CHECK(count_lines(read_file(rekey_file)) > 60);
}

TEST_CASE("a running agent takes a rotation at once and says so until the maps are acknowledged",
          "[uplink][keys]") {
  UplinkSite site(30);
  TenantProcess tenant(site);
  tenant.start();
  site.configure({.port = tenant.port()});
  auto run = site.start_run();
  REQUIRE(wait_until(
      [&] { return site.runs_of("sis") >= 1 && site.spool_batches() == std::optional<std::uint64_t>(0); },
      60s));

  const auto rotated = site.ferry({"keys", "rotate", "--yes"});
  INFO(rotated.out << rotated.err);
  REQUIRE(rotated.exit_code == 0);
  CHECK_THAT(rotated.out, Catch::Matchers::Contains("the running agent reloaded with key version 2"));
  const auto rekey_file = site.tenant_out() / std::string(kAgentId) / "rekey.jsonl";
  // Done when no row the tenant holds carries a version-1 token any more (the stored keys are
  // mapped at the reload, the other tokens by the source's first run under version 2) and the
  // agent holds no rekey batch: the tenant's own rekey_request after the reload's batch may still
  // be answered, with a rekey batch of its own, after the rows are mapped.
  const auto rekey_pending = [&]() -> std::optional<std::int64_t> {
    const auto status = site.ferry({"status", "--json"});
    if (status.exit_code != 0) return std::nullopt;
    return boost::json::parse(status.out)
        .as_object()
        .at("keys")
        .as_object()
        .at("rekey_batches_pending")
        .as_int64();
  };
  const auto all_mapped = [&] {
    for (const char* stream : kStreams) {
      for (const std::string& row : materialized(site.stored(stream))) {
        if (row.find("p1.") != std::string::npos || row.find("h1.") != std::string::npos) {
          return false;
        }
      }
    }
    return std::filesystem::exists(rekey_file) &&
           site.spool_batches() == std::optional<std::uint64_t>(0) &&
           rekey_pending() == std::optional<std::int64_t>(0);
  };
  REQUIRE(wait_until(all_mapped, 60s));
  const auto status = site.ferry({"status", "--json"});
  REQUIRE(status.exit_code == 0);
  const auto keys = boost::json::parse(status.out).as_object().at("keys").as_object();
  CHECK(keys.at("active_version").as_int64() == 2);
  site.stop_run(run);
  const auto expected = site.preview();
  for (const char* stream : kStreams) {
    INFO(stream);
    CHECK(materialized(site.stored(stream)) == sorted_lines(expected.at(stream)));
  }
}

}  // namespace
}  // namespace ferry::test
