// The named crash points (common/env/test_hooks.hpp), each 20 times: `ferry-test-hooks sync`
// ends itself at exactly that instant (exit 86, no destructor, no flush: a kill there), round
// after round, while a source of numbered rows grows by 30 rows a round; then a plain `ferry
// sync` delivers what is left. The oracle: the tenant holds every row of the source exactly once,
// with the content its number gives it (its id pseudonymized), and none of an erased subject.
//
// FERRY_CRASH_ROUNDS sets the rounds per point (default 20; 5 in the ASan build).
#include <cstdlib>
#include <set>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/support/process.hpp"
#include "tests/uplink/numbered_rows.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry {
namespace {

constexpr std::uint64_t kRowsPerRound = 30;

using test::check_rows_once;
using test::payload_of;
using test::write_rows;
constexpr int kCrashExit = 86;

// 20 per point; 5 under AddressSanitizer, where each round's two processes take seconds: that
// build is there for memory errors, which five rounds reach as well as twenty.
int rounds() {
  const char* text = std::getenv("FERRY_CRASH_ROUNDS");
  if (text != nullptr) return std::max(1, std::atoi(text));
#if defined(__SANITIZE_ADDRESS__)
  return 5;
#else
  return 20;
#endif
}

// Runs the rounds for one crash point; returns how many rounds did crash there.
int crash_rounds(std::string_view point, std::uint64_t passes) {
  test::NumberedSite numbered(0);
  const test::UplinkSite& site = numbered.site;
  const auto& folder = numbered.folder;
  // A first clean sync: the data_dir and the spool exist (the checkpoint point needs the folder).
  write_rows(folder, kRowsPerRound);
  {
    const auto first = site.sync();
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
  }
  int crashes = 0;
  const int count = rounds();
  for (int round = 1; round <= count; ++round) {
    write_rows(folder, kRowsPerRound * static_cast<std::uint64_t>(round + 1));
    auto argv = site.ferry_argv({"sync", "--timeout", "60s"});
    argv[0] = FERRY_TEST_HOOKS_BINARY;
    const std::uint64_t nth = 1 + static_cast<std::uint64_t>(round) % passes;
    const auto crashed =
        test::run_process(argv, {fmt::format("FERRY_TEST_CRASH_POINT={}:{}", point, nth),
                                 "FERRY_TEST_DATA_DIR=" + site.data_dir().string()});
    INFO(fmt::format("round {}: crash point {} at pass {}", round, point, nth));
    INFO(crashed.out << crashed.err);
    REQUIRE((crashed.exit_code == kCrashExit || crashed.exit_code == 0));
    if (crashed.exit_code == kCrashExit) ++crashes;
  }
  numbered.sync_and_check(kRowsPerRound * static_cast<std::uint64_t>(count + 1));
  return crashes;
}

TEST_CASE("the crash points' oracle sees a row lost, stored twice, changed, or erased but kept",
          "[uplink][fault][crash-point]") {
  const auto row = [](std::uint64_t n, std::string_view payload) {
    return fmt::format(R"({{"id":"tok{}","n":"{}","payload":"{}"}})", n, n, payload) + "\n";
  };
  const std::string good = row(1, payload_of(1)) + row(2, payload_of(2)) + row(3, payload_of(3));
  CHECK(check_rows_once(good, 3).empty());
  CHECK(check_rows_once(good + row(2, payload_of(2)), 3) ==
        std::vector<std::string>{"row 2 was stored 2 times"});
  CHECK(check_rows_once(good, 4) == std::vector<std::string>{"row 4 was lost"});
  CHECK(check_rows_once(row(1, payload_of(1)) + row(2, "x") + row(3, payload_of(3)), 3) ==
        std::vector<std::string>{"row 2 was stored with other content"});
  CHECK(check_rows_once(good, 3, {3}) == std::vector<std::string>{"erased row 3 was kept"});
  CHECK(check_rows_once(R"({"id":"r000001","n":"1","payload":")" + payload_of(1) + "\"}\n", 1) ==
        std::vector<std::string>{"row 1 was stored with other content"});
}

TEST_CASE("a crash after the rows are written, before the commit, loses nothing",
          "[uplink][fault][crash-point]") {
  CHECK(crash_rounds("spool-after-insert", 3) == rounds());
}

TEST_CASE("a crash after the commit, before the uplink is told, loses nothing and sends once",
          "[uplink][fault][crash-point]") {
  CHECK(crash_rounds("spool-after-commit", 3) == rounds());
}

TEST_CASE("a crash after a batch is sent, before its ack, stores it once",
          "[uplink][fault][crash-point]") {
  CHECK(crash_rounds("uplink-after-send", 3) == rounds());
}

TEST_CASE("a crash after an ack, before the batch leaves the spool, stores it once",
          "[uplink][fault][crash-point]") {
  CHECK(crash_rounds("uplink-after-ack", 3) == rounds());
}

TEST_CASE("a crash amid a merge of change-detection digests loses nothing",
          "[uplink][fault][crash-point]") {
  CHECK(crash_rounds("spool-merge-digests", 1) == rounds());
}

TEST_CASE("a crash amid a checkpoint of the spool loses nothing", "[uplink][fault][crash-point]") {
  CHECK(crash_rounds("spool-checkpoint", 2) == rounds());
}

TEST_CASE("a crash amid an erasure, then the erasure again: the subject is gone, nothing else",
          "[uplink][fault][crash-point]") {
  const std::uint64_t count = 3 * static_cast<std::uint64_t>(rounds());
  test::NumberedSite numbered(count);
  const test::UplinkSite& site = numbered.site;
  REQUIRE(site.sync().exit_code == 0);
  std::set<std::uint64_t> erased;
  for (int round = 1; round <= rounds(); ++round) {
    const std::uint64_t subject = 3 * static_cast<std::uint64_t>(round) - 1;
    auto argv = site.ferry_argv({"erase", "--domain", "user", fmt::format("r{:06}", subject)});
    argv[0] = FERRY_TEST_HOOKS_BINARY;
    const auto crashed = test::run_process(argv, {"FERRY_TEST_CRASH_POINT=spool-erase"});
    INFO(fmt::format("round {}: {}{}", round, crashed.out, crashed.err));
    REQUIRE(crashed.exit_code == kCrashExit);
    // The admin runs it again (the first attempt said nothing).
    const auto again = site.ferry({"erase", "--domain", "user", fmt::format("r{:06}", subject)});
    INFO(again.out << again.err);
    REQUIRE(again.exit_code == 0);
    erased.insert(subject);
    if (round % 4 == 0) REQUIRE(site.sync().exit_code == 0);
  }
  numbered.sync_and_check(count, erased);
}

}  // namespace
}  // namespace ferry
