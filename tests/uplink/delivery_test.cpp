// `ferry sync` against `ferry-tenant serve`: the whole export arrives exactly once, byte for byte
// as `ferry preview` shows it, and later syncs send only what changed.
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using Catch::Matchers::Contains;

// The lines of `after` that are not in `before`, in the order of `after`.
std::string new_lines(const std::string& before, const std::string& after) {
  const auto old = sorted_lines(before);
  const std::set<std::string> known(old.begin(), old.end());
  std::string added;
  std::string_view text = after;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string line(text.substr(0, end));
    if (known.count(line) == 0) added += line + "\n";
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return added;
}

TEST_CASE("ferry sync delivers every row exactly once and then only the changes", "[uplink]") {
  UplinkSite site(500);
  TenantProcess tenant(site);
  tenant.start();
  site.configure({.port = tenant.port(), .max_rows = 1000});
  const auto expected = site.preview();
  REQUIRE(total_lines(expected) > 3000);

  const auto first = site.sync();
  INFO("first sync: " << first.out << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Contains("spool: 0 batches waiting"));
  // The tenant appends batches in seq order and the agent spools rows in the order it reads them,
  // so each stream's file is exactly what preview prints, in the same order.
  check_stored(site, expected);
  CHECK(site.spool_batches() == 0u);

  // Nothing changed: nothing is sent.
  const auto second = site.sync();
  INFO("second sync: " << second.out << second.err);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.out, Contains("sent: 0 batches"));
  check_stored(site, expected);

  // About 1% of the users get another givenName: only those rows are appended.
  const auto changed =
      site.generate({"--users", "500", "--change-percent", "1", "--seed", "7", "--base-seed", "1"});
  INFO(changed.err);
  REQUIRE(changed.exit_code == 0);
  const auto now = site.preview();
  const auto third = site.sync();
  INFO("third sync: " << third.out << third.err);
  REQUIRE(third.exit_code == 0);
  std::map<std::string, std::string> appended;
  std::size_t changed_rows = 0;
  for (const auto& [stream, rows] : now) {
    const auto added = new_lines(expected.at(stream), rows);
    changed_rows += count_lines(added);
    appended[stream] = expected.at(stream) + added;
  }
  CHECK(count_lines(new_lines(expected.at("users"), now.at("users"))) == changed_rows);
  CHECK(changed_rows >= 2);
  CHECK(changed_rows <= 15);
  check_stored(site, appended);
  CHECK(site.spool_batches() == 0u);
}

}  // namespace
}  // namespace ferry::test
