// A long outage with `spool.when_full: drop_oldest`: the tenant is unreachable while the source
// grows by 6,000 rows at a time over five `ferry sync --no-upload` runs (a restart each), well
// past what `spool.max_bytes` (1 MiB) holds. The spool drops its oldest unsent batches and never
// holds more than max_bytes of them; its files stay within max_bytes plus what is not counted
// (the change-detection digests and the WAL), across the restarts. Once the tenant is back, the
// gaps it is told of add up to exactly the rows the oracle finds missing, and every other row is
// there once (docs/reliability.md).
#include <filesystem>
#include <iostream>
#include <regex>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/sqlite/database.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/numbered_rows.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry {
namespace {

constexpr std::uint64_t kRowsPerRun = 6'000;
constexpr int kRuns = 5;
constexpr std::uint64_t kMaxBytes = 1024 * 1024;

std::uint64_t file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// The rows of the gaps the tenant recorded for this agent.
std::uint64_t gap_rows(const test::UplinkSite& site) {
  auto db =
      sqlite::Database::open(site.tenant_out() / "tenant.db", sqlite::Database::Mode::kReadOnly);
  REQUIRE(db);
  auto select = db->prepare("SELECT coalesce(sum(rows), 0) FROM gaps WHERE agent_id = ?");
  REQUIRE(select);
  auto row = select->bind(1, test::kAgentId).step();
  REQUIRE(row);
  REQUIRE(*row);
  return static_cast<std::uint64_t>(select->column_int(0));
}

TEST_CASE("a long outage with drop_oldest: the rows dropped are exactly the gap the tenant is told",
          "[uplink][fault][outage]") {
  test::TcpProxy proxy;  // refuses: the tenant is unreachable
  test::NumberedSite numbered(0, [&](test::AgentConfig& config) {
    config.port = proxy.port();
    config.max_rows = 50;
    config.batch_extra = ", max_bytes: 256KiB";
    config.spool = fmt::format("  max_bytes: {}\n  when_full: drop_oldest\n", kMaxBytes);
  });
  const test::UplinkSite& site = numbered.site;

  std::string figures;
  std::uint64_t largest_files = 0;
  for (int run = 1; run <= kRuns; ++run) {
    test::write_rows(numbered.folder, kRowsPerRun * static_cast<std::uint64_t>(run));
    const auto synced = site.ferry({"sync", "--no-upload"});
    INFO(synced.out << synced.err);
    REQUIRE(synced.exit_code == 0);
    const auto batches = site.spool_bytes();
    REQUIRE(batches.has_value());
    CHECK(*batches <= kMaxBytes);
    const std::uint64_t db = file_bytes(site.spool_db());
    const std::uint64_t wal = file_bytes(site.spool_db().string() + "-wal");
    largest_files = std::max(largest_files, db + wal);
    figures += fmt::format("run {}: batches {} KiB, spool.db {} KiB, -wal {} KiB\n", run,
                           *batches / 1024, db / 1024, wal / 1024);
  }
  std::cerr << "long outage:\n" << figures;
  INFO(figures);
  // The batches are at most max_bytes; the digests of 30,000 keys and the WAL come on top.
  CHECK(largest_files <= kMaxBytes + 8 * 1024 * 1024);

  proxy.forward_to(numbered.tenant.port());
  const auto delivered = site.sync();
  INFO(delivered.out << delivered.err);
  REQUIRE(delivered.exit_code == 0);
  CHECK(site.spool_batches() == 0u);

  const std::uint64_t total = kRowsPerRun * kRuns;
  const auto problems = test::check_rows_once(site.stored("rows"), total);
  std::uint64_t lost = 0;
  std::vector<std::string> other;
  static const std::regex kLost(R"(row \d+ was lost)");
  for (const auto& problem : problems) {
    if (std::regex_match(problem, kLost)) {
      ++lost;
    } else {
      other.push_back(problem);
    }
  }
  INFO(fmt::format("{}", fmt::join(other, "\n")));
  CHECK(other.empty());  // nothing stored twice, changed, or in plain text
  CHECK(lost > 0);       // the outage did outgrow the spool
  CHECK(lost == gap_rows(site));
  std::cerr << fmt::format("long outage: {} of {} rows dropped, {} told as gaps\n", lost, total,
                           gap_rows(site));
}

}  // namespace
}  // namespace ferry
