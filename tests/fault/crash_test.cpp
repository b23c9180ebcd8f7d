// `ferry sync` killed with SIGKILL at random moments, again and again, then run to completion:
// the spool must end with every source row exactly once and seqs without gaps, and a kill in the
// middle of a spool write must never leave the agent unable to start again.
//
// The kill moments are random on purpose (seeded: the seed is printed, and FERRY_FAULT_SEED
// replays it). Everything else waits on conditions with deadlines. The export is scaled down
// under AddressSanitizer, or set with FERRY_FAULT_USERS.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include "tests/fault/child_process.hpp"
#include "tests/integration/csv_table.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t kPerUser = 5;
constexpr std::uint64_t kMaxRows = 500;  // small batches: many commits to land between
constexpr int kKills = 20;
constexpr auto kRunDeadline = std::chrono::minutes(4);

std::uint64_t user_count() {
  if (const char* users = std::getenv("FERRY_FAULT_USERS")) return std::stoull(users);
#if defined(__SANITIZE_ADDRESS__)
  return 8000;
#else
  return 20000;
#endif
}

std::uint64_t seed() {
  if (const char* text = std::getenv("FERRY_FAULT_SEED")) return std::stoull(text);
  return std::random_device{}();
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A spool file moved aside as damaged: must never happen after a mere kill.
std::vector<fs::path> damaged_spools(const fs::path& data_dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    if (entry.path().filename().string().find(".corrupt-") != std::string::npos) {
      out.push_back(entry.path());
    }
  }
  return out;
}

// Each row as sent (stream, op, JSON), to compare two spools whatever their batch boundaries.
std::multiset<std::string> row_texts(const test::SpoolContents& spool) {
  std::multiset<std::string> out;
  for (const auto& row : spool.rows) {
    out.insert(row.stream + " " + row.op + " " + boost::json::serialize(row.fields));
  }
  return out;
}

// Uses the key file of `from`, so that both sites make the same tokens.
void share_keyring(const test::PipelineSite& from, const test::PipelineSite& to) {
  fs::create_directories(to.data_dir());
  fs::permissions(to.data_dir(), fs::perms::owner_all);
  const auto target = to.data_dir() / "keyring.json";
  fs::copy_file(from.data_dir() / "keyring.json", target);
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
}

enum class Phase { kEndedByItself, kBeforeFirstCommit, kMidRun, kAfterLastCommit };

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::kEndedByItself:
      return "ended by itself";
    case Phase::kBeforeFirstCommit:
      return "before its first batch";
    case Phase::kMidRun:
      return "mid-run";
    case Phase::kAfterLastCommit:
      return "after its last batch";
  }
  return "?";
}

TEST_CASE("sync killed twenty times at random moments still spools every row exactly once") {
  const std::uint64_t users = user_count();
  const std::uint64_t run_seed = seed();
  const std::vector<std::string> generate = {"--users",
                                             std::to_string(users),
                                             "--enrollments-per-user",
                                             std::to_string(kPerUser),
                                             "--seed",
                                             "7"};
  const test::SiteOptions options{.max_rows = kMaxRows, .log_level = "info"};

  // A run without faults, with the same key file: what the spool must hold in the end, and how
  // long a run takes here (the kill moments scale with it).
  test::PipelineSite reference(options);
  REQUIRE(reference.generate(generate).exit_code == 0);
  REQUIRE(reference.ferry({"keys", "init"}).exit_code == 0);
  const auto started = Clock::now();
  const auto full = reference.ferry({"sync", "--no-upload"});
  const auto full_run = Clock::now() - started;
  REQUIRE(full.exit_code == 0);
  const auto expected = test::read_spool(reference.spool_db(), reference.tenant().private_key);
  test::check_each_row_once(expected, reference.export_dir());
  const auto unchanged_started = Clock::now();
  REQUIRE(reference.ferry({"sync", "--no-upload"}).exit_code == 0);
  const auto startup = Clock::now() - unchanged_started;  // start, open, hash: nothing new

  test::PipelineSite site(options);
  REQUIRE(site.generate(generate).exit_code == 0);
  share_keyring(reference, site);
  const fs::path output = site.dir() / "ferry-output.txt";

  std::cerr << fmt::format(
      "crash test: seed={} (FERRY_FAULT_SEED={} replays it) users={} batches={} full run={:.2f}s "
      "start-up={:.3f}s\n",
      run_seed, run_seed, users, expected.seqs.size(), seconds(full_run), seconds(startup));
  std::mt19937_64 random(run_seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::map<Phase, int> phases;
  std::string kills_log;

  // Early kills (one in five) land at a random moment within a start-up: before the run's first
  // new batch. The others wait until the run has committed a random number of new batches (a
  // share of what is left, so that later kills still find work), then a random fraction of one
  // batch's time more, and land mid-run. Progress is read from the spool, not guessed from time:
  // a restarted run spends a while re-reading what earlier runs spooled, and how long varies.
  const std::uint64_t total = expected.seqs.size();
  const double per_new_batch = seconds(full_run) / static_cast<double>(total);
  for (int kill = 0; kill < kKills; ++kill) {
    const std::uint64_t before = test::count_batches(site.spool_db());
    test::ChildProcess child(site.ferry_argv({"sync", "--no-upload"}), output);
    const auto launched = Clock::now();
    if (kill % 5 == 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(unit(random) * seconds(startup)));
    } else {
      const std::uint64_t share =
          std::max<std::uint64_t>(1, (total - before) / (kKills - kill + 1));
      const std::uint64_t target = before + 1 + static_cast<std::uint64_t>(unit(random) * share);
      const auto deadline = launched + kRunDeadline;
      while (child.running() && Clock::now() < deadline &&
             test::peek_batches(site.spool_db()).value_or(before) < target) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      REQUIRE(Clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::duration<double>(unit(random) * per_new_batch));
    }
    const double delay = seconds(Clock::now() - launched);
    const bool killed = child.kill();
    if (!killed && child.exit_code() != 0) {
      // Ended by itself, and not well: a kill left a spool it cannot start from.
      FAIL("after " << kill << " kills (" << kills_log << "), ferry sync exits "
                    << child.exit_code().value_or(-1) << ":\n"
                    << test::read_file(output));
    }
    const std::uint64_t after = test::count_batches(site.spool_db());
    const bool finished = test::stored_source_state(site.spool_db(), "sis").has_value();
    const Phase phase = !killed           ? Phase::kEndedByItself
                        : after == before ? Phase::kBeforeFirstCommit
                        : finished        ? Phase::kAfterLastCommit
                                          : Phase::kMidRun;
    ++phases[phase];
    kills_log += fmt::format("kill {}: after {:.3f}s, {}, batches {} -> {}\n", kill + 1, delay,
                             to_string(phase), before, after);
    INFO(kills_log << test::read_file(output));
    REQUIRE(damaged_spools(site.data_dir()).empty());
  }
  INFO(kills_log);
  std::cerr << kills_log;

  test::ChildProcess last(site.ferry_argv({"sync", "--no-upload"}), output);
  REQUIRE(last.wait_for(kRunDeadline) == 0);
  CHECK(damaged_spools(site.data_dir()).empty());
  CHECK(test::read_file(output).find("WARNING") == std::string::npos);

  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  test::check_each_row_once(spool, site.export_dir());
  const bool same_rows_as_without_kills = row_texts(spool) == row_texts(expected);
  CHECK(same_rows_as_without_kills);
  // The kills landed at different phases of a run.
  CHECK(phases[Phase::kBeforeFirstCommit] >= 1);
  CHECK(phases[Phase::kMidRun] >= kKills / 2);
}

// The WAL file's size and modification time: it changes whenever the spool is written.
std::pair<std::int64_t, std::int64_t> wal_stamp(const fs::path& spool_db) {
  struct stat info {};
  if (::stat((spool_db.string() + "-wal").c_str(), &info) != 0) return {-1, -1};
  return {static_cast<std::int64_t>(info.st_size),
          static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

TEST_CASE("sync killed while it writes the spool starts again cleanly, never in a crash loop") {
  const std::uint64_t users = std::max<std::uint64_t>(user_count() / 4, 500);
  test::PipelineSite site({.max_rows = kMaxRows, .log_level = "info"});
  REQUIRE(site.generate({"--users", std::to_string(users), "--seed", "11"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const fs::path output = site.dir() / "ferry-output.txt";

  int kills = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    // Kill at a write this run makes to the spool: its first, then ever later ones.
    auto stamp = wal_stamp(site.spool_db());
    test::ChildProcess child(site.ferry_argv({"sync", "--no-upload"}), output);
    const auto deadline = Clock::now() + kRunDeadline;
    int writes = 0;
    while (writes < 1 + 4 * attempt && child.running() && Clock::now() < deadline) {
      const auto now = wal_stamp(site.spool_db());
      if (now != stamp && now.first >= 0) {
        ++writes;
        stamp = now;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    REQUIRE(Clock::now() < deadline);
    if (child.kill()) {
      ++kills;
    } else if (child.exit_code() != 0) {
      // Ended by itself, and not well: the kill before left a spool it cannot start from.
      FAIL("started again after a SIGKILL at about write "
           << 1 + 4 * (attempt - 1) << " of a run, ferry sync exits "
           << child.exit_code().value_or(-1) << " (a crash loop):\n"
           << test::read_file(output));
    }
    INFO("attempt " << attempt);
    REQUIRE(damaged_spools(site.data_dir()).empty());
  }
  CHECK(kills >= 3);

  // Started again, it finishes, says nothing of damage, and a further run has nothing new.
  const auto again = site.ferry({"sync", "--no-upload"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.err.find("WARNING") == std::string::npos);
  const auto once_more = site.ferry({"sync", "--no-upload"});
  REQUIRE(once_more.exit_code == 0);
  CHECK(once_more.out.find("nothing new") != std::string::npos);
  CHECK(damaged_spools(site.data_dir()).empty());
  test::check_each_row_once(test::read_spool(site.spool_db(), site.tenant().private_key),
                            site.export_dir());
}

}  // namespace
}  // namespace ferry
