// The named crash points (common/env/test_hooks.hpp), each 20 times: `ferry-test-hooks sync`
// ends itself at exactly that instant (exit 86, no destructor, no flush: a kill there), round
// after round, while a source of numbered rows grows by 30 rows a round; then a plain `ferry
// sync` delivers what is left. The oracle: the tenant holds every row of the source exactly once,
// with the content its number gives it (its id pseudonymized), and none of an erased subject.
//
// FERRY_CRASH_ROUNDS sets the rounds per point (default 20).
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/support/process.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry {
namespace {

constexpr std::uint64_t kRowsPerRound = 30;
constexpr int kCrashExit = 86;

int rounds() {
  const char* text = std::getenv("FERRY_CRASH_ROUNDS");
  return text != nullptr ? std::max(1, std::atoi(text)) : 20;
}

std::string payload_of(std::uint64_t n) {
  std::uint64_t x = n * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return fmt::format("{:016x}{:016x}", x, x * 0xBF58476D1CE4E5B9ull);
}

// The numbered source: rows.csv with rows 1..count.
void write_rows(const std::filesystem::path& folder, std::uint64_t count) {
  std::filesystem::create_directories(folder);
  std::ofstream out(folder / "rows.csv", std::ios::binary | std::ios::trunc);
  out << "id,n,payload\r\n";
  for (std::uint64_t n = 1; n <= count; ++n) {
    out << fmt::format("r{:06},{},{}\r\n", n, n, payload_of(n));
  }
}

std::string numbered_source(const std::filesystem::path& folder) {
  return fmt::format(
      "  - name: sis\n"
      "    type: csv\n"
      "    path: {}\n"
      "    streams:\n"
      "      rows:\n"
      "        key: id\n"
      "        default: keep\n"
      "        fields:\n"
      "          id: {{transform: pseudonymize, domain: user}}\n",
      folder.string());
}

// Each problem with what the tenant stored for rows 1..count: a row missing, stored twice, with
// other content or its id in plain text, or of an erased subject.
std::vector<std::string> check_rows_once(std::string_view stored, std::uint64_t count,
                                         const std::set<std::uint64_t>& erased = {}) {
  std::map<std::uint64_t, int> seen;
  std::vector<std::string> problems;
  std::size_t start = 0;
  while (start < stored.size()) {
    const std::size_t end = stored.find('\n', start);
    if (end == std::string_view::npos) break;
    const auto line = stored.substr(start, end - start);
    start = end + 1;
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    const auto* row = value.if_object();
    const auto* n_text = row != nullptr ? row->if_contains("n") : nullptr;
    if (ec || n_text == nullptr || !n_text->is_string()) {
      problems.push_back(fmt::format("a stored line is not a row: {}", line.substr(0, 80)));
      continue;
    }
    const std::uint64_t n = std::stoull(std::string(n_text->as_string()));
    const auto* payload = row->if_contains("payload");
    const auto* id = row->if_contains("id");
    if (payload == nullptr || !payload->is_string() || payload->as_string() != payload_of(n) ||
        id == nullptr || !id->is_string() || id->as_string() == fmt::format("r{:06}", n)) {
      problems.push_back(fmt::format("row {} was stored with other content", n));
    }
    if (n == 0 || n > count) problems.push_back(fmt::format("row {} was never in the source", n));
    ++seen[n];
  }
  for (std::uint64_t n = 1; n <= count; ++n) {
    const auto found = seen.find(n);
    if (erased.contains(n)) {
      if (found != seen.end()) problems.push_back(fmt::format("erased row {} was kept", n));
    } else if (found == seen.end()) {
      problems.push_back(fmt::format("row {} was lost", n));
    } else if (found->second > 1) {
      problems.push_back(fmt::format("row {} was stored {} times", n, found->second));
    }
  }
  return problems;
}

// Runs the rounds for one crash point; returns how many rounds did crash there.
int crash_rounds(std::string_view point, std::uint64_t passes) {
  test::UplinkSite site(10);
  test::TenantProcess tenant(site);
  tenant.start();
  const auto folder = site.dir() / "numbered";
  write_rows(folder, 0);
  site.configure(test::AgentConfig{.port = tenant.port(),
                                   .max_rows = 10,
                                   .log_level = "info",
                                   .sources = numbered_source(folder)});
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
  const auto last = site.sync();
  INFO(last.out << last.err);
  REQUIRE(last.exit_code == 0);
  const auto problems =
      check_rows_once(site.stored("rows"), kRowsPerRound * static_cast<std::uint64_t>(count + 1));
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  CHECK(site.spool_batches() == 0);
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
  test::UplinkSite site(10);
  test::TenantProcess tenant(site);
  tenant.start();
  const auto folder = site.dir() / "numbered";
  const std::uint64_t count = 3 * static_cast<std::uint64_t>(rounds());
  write_rows(folder, count);
  site.configure(test::AgentConfig{.port = tenant.port(),
                                   .max_rows = 10,
                                   .log_level = "info",
                                   .sources = numbered_source(folder)});
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
  REQUIRE(site.sync().exit_code == 0);
  const auto problems = check_rows_once(site.stored("rows"), count, erased);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  CHECK(site.spool_batches() == 0);
}

}  // namespace
}  // namespace ferry
