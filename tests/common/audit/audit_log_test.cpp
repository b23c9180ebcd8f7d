#include "common/audit/audit_log.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::audit {
namespace {

using std::chrono::system_clock;
using test::TempDir;
using namespace std::chrono_literals;

system_clock::time_point at(std::int64_t unix_seconds) {
  return system_clock::time_point(std::chrono::seconds(unix_seconds));
}

constexpr std::int64_t kJan2027 = 1798761600;  // 2027-01-01T00:00:00Z

// A clock the test moves by hand.
struct FakeClock {
  system_clock::time_point now = at(kJan2027);
  Clock clock() {
    return [this] { return now; };
  }
};

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  const std::string text = test::read_file(path);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

void write_lines(const TempDir& dir, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + '\n';
  dir.write(std::string(kFileName), text);
}

boost::json::object object_of(const std::string& line) {
  return boost::json::parse(line).as_object();
}

std::unique_ptr<AuditLog> open_log(const TempDir& dir, FakeClock& clock,
                                   std::optional<std::chrono::seconds> retention = std::nullopt) {
  auto log =
      AuditLog::open(dir.path(), OpenOptions{.retention = retention, .clock = clock.clock()});
  if (!log) FAIL(log.error().message);
  return std::move(*log);
}

// A log of `count` batch_acked entries, one a minute.
void write_batches(const TempDir& dir, FakeClock& clock, int count) {
  auto log = open_log(dir, clock);
  for (int i = 1; i <= count; ++i) {
    REQUIRE(log->append("batch_acked", {{"batch_seq", i},
                                        {"source", "sis"},
                                        {"stream", "users"},
                                        {"rows", 100},
                                        {"bytes", 2048}}));
    clock.now += 1min;
  }
}

VerifyReport verified(const TempDir& dir) {
  auto report = verify(dir.path());
  REQUIRE(report);
  return *report;
}

TEST_CASE("appended entries verify and carry seq, at, event, prev and only the given fields") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 3);

  const auto lines = lines_of(dir / "audit.log");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        R"({"seq":1,"at":"2027-01-01T00:00:00.000Z","event":"batch_acked","prev":")" +
            std::string(64, '0') +
            R"(","batch_seq":1,"source":"sis","stream":"users","rows":100,"bytes":2048})");
  const auto second = object_of(lines[1]);
  CHECK(second.at("seq") == 2);
  CHECK(second.at("at") == "2027-01-01T00:01:00.000Z");
  CHECK(second.at("prev").as_string() == *sha256_hex(lines[0]));
  CHECK(second.size() == 9);

  const auto report = verified(dir);
  CHECK(report.ok);
  CHECK(report.entries == 3);
  CHECK(report.first_seq == 1);
  CHECK(report.last_seq == 3);
  CHECK(report.end_checked);
  CHECK(report.notes.empty());
}

TEST_CASE("the log and its head are created for their owner only") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 1);
  CHECK(test::owner_only(dir / "audit.log"));
  CHECK(test::owner_only(dir / "audit.head"));
}

TEST_CASE("editing a field of an entry makes verify fail and name that line") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 10);
  auto lines = lines_of(dir / "audit.log");
  const auto where = lines[3].find("\"rows\":100");
  REQUIRE(where != std::string::npos);
  lines[3].replace(where, 10, "\"rows\":999");
  write_lines(dir, lines);

  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 4);
  CHECK(report.problem ==
        "line 4 (seq 4): its hash does not match the prev recorded by line 5: this entry was "
        "edited (or the next entry's prev was)");
}

TEST_CASE("editing the seq of an entry makes verify name that line") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 5);
  auto lines = lines_of(dir / "audit.log");
  lines[2].replace(0, 8, R"({"seq":9)");
  write_lines(dir, lines);
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 3);
  CHECK_THAT(report.problem, Catch::StartsWith("line 3 (seq 9): expected seq 3"));
}

TEST_CASE("editing an entry so that it is no longer JSON names that line") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 5);
  auto lines = lines_of(dir / "audit.log");
  lines[1].pop_back();
  write_lines(dir, lines);
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 2);
  CHECK(report.problem == "line 2: not a JSON object: the entry was edited or damaged");
}

TEST_CASE("editing the last entry is caught by audit.head") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 5);
  auto lines = lines_of(dir / "audit.log");
  lines[4].replace(lines[4].find("\"source\":\"sis\""), 14, "\"source\":\"hr\"");
  write_lines(dir, lines);
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 5);
  CHECK_THAT(report.problem,
             Catch::StartsWith("line 5 (seq 5): its hash does not match the one recorded in "
                               "audit.head"));
}

TEST_CASE("removing an entry from the middle makes verify name where it is missing") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 10);
  auto lines = lines_of(dir / "audit.log");
  lines.erase(lines.begin() + 5);  // seq 6
  write_lines(dir, lines);
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 6);
  CHECK(report.problem ==
        "line 6 (seq 7): expected seq 6: the entry with seq 6 was removed, or entries were "
        "reordered");
}

TEST_CASE("reordering two entries makes verify name the first moved line") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 10);
  auto lines = lines_of(dir / "audit.log");
  std::swap(lines[2], lines[3]);
  write_lines(dir, lines);
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 3);
  CHECK_THAT(report.problem, Catch::StartsWith("line 3 (seq 4): expected seq 3"));
}

TEST_CASE("removing the first entry is detected") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 4);
  auto lines = lines_of(dir / "audit.log");
  lines.erase(lines.begin());
  write_lines(dir, lines);
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 1);
  CHECK(report.problem ==
        "line 1 (seq 2): the log starts at seq 2 without an audit_trimmed entry: its first "
        "entries were removed");
}

TEST_CASE("cutting entries from the end is caught by audit.head") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 10);
  auto lines = lines_of(dir / "audit.log");
  lines.resize(8);
  write_lines(dir, lines);
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 9);
  CHECK(report.problem ==
        "the log ends at seq 8 (line 8) but audit.head records seq 10: entries were removed "
        "from the end");

  write_lines(dir, {});
  const auto emptied = verified(dir);
  CHECK_FALSE(emptied.ok);
  CHECK(emptied.problem ==
        "the log is empty but audit.head records seq 10: its entries were removed");
}

TEST_CASE("without audit.head the chain verifies and verify says the end was not checked") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 3);
  std::filesystem::remove(dir / "audit.head");
  const auto report = verified(dir);
  CHECK(report.ok);
  CHECK(report.entries == 3);
  CHECK_FALSE(report.end_checked);
  REQUIRE(report.notes.size() == 1);
  CHECK_THAT(report.notes[0], Catch::StartsWith("no audit.head"));
}

TEST_CASE("a missing log is kNotFound, and a deleted log with its head left fails verify") {
  TempDir dir;
  auto missing = verify(dir.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK_THAT(missing.error().message,
             Catch::StartsWith("no audit log at " + (dir / "audit.log").string()));
  CHECK_FALSE(read(dir.path(), std::nullopt));

  FakeClock clock;
  write_batches(dir, clock, 3);
  std::filesystem::remove(dir / "audit.log");
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK_THAT(report.problem, Catch::EndsWith("is missing but audit.head records seq 3: the log "
                                             "was deleted"));

  // A log started again after deletion goes on from the head, so its gap shows.
  write_batches(dir, clock, 1);
  CHECK(object_of(lines_of(dir / "audit.log").at(0)).at("seq") == 4);
  CHECK(verified(dir).first_bad_line == 1);
}

TEST_CASE("trimming by retention drops old entries and keeps the chain verifiable") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 5);  // 00:00 .. 00:04
  const auto before = lines_of(dir / "audit.log");
  clock.now = at(kJan2027) + std::chrono::hours(24 * 90) + 2min + 30s;  // 1, 2, 3 are too old

  auto log = open_log(dir, clock, kDefaultRetention);
  auto lines = lines_of(dir / "audit.log");
  REQUIRE(lines.size() == 3);
  const auto anchor = object_of(lines[0]);
  CHECK(anchor.at("event") == "audit_trimmed");
  CHECK(anchor.at("seq") == 3);
  CHECK(anchor.at("removed_through_seq") == 3);
  CHECK(anchor.at("removed_last_hash").as_string() == *sha256_hex(before[2]));
  CHECK(anchor.at("removed_before") == "2027-01-01T00:02:30.000Z");
  CHECK(lines[1] == before[3]);  // kept entries are kept byte for byte
  CHECK(lines[2] == before[4]);

  auto report = verified(dir);
  CHECK(report.ok);
  CHECK(report.entries == 2);
  CHECK(report.first_seq == 4);
  CHECK(report.last_seq == 5);
  CHECK(report.trimmed_through == 3);
  CHECK(report.end_checked);

  REQUIRE(log->append("agent_stopped"));
  CHECK(object_of(lines_of(dir / "audit.log").back()).at("seq") == 6);
  CHECK(verified(dir).ok);

  SECTION("edits after the anchor are still detected") {
    lines = lines_of(dir / "audit.log");
    lines[1].replace(lines[1].find("\"rows\":100"), 10, "\"rows\":101");
    write_lines(dir, lines);
    report = verified(dir);
    CHECK_FALSE(report.ok);
    CHECK(report.first_bad_line == 2);
  }
  SECTION("removing the first entry kept is detected") {
    lines = lines_of(dir / "audit.log");
    lines.erase(lines.begin() + 1);
    write_lines(dir, lines);
    report = verified(dir);
    CHECK_FALSE(report.ok);
    CHECK(report.first_bad_line == 2);
    CHECK_THAT(report.problem, Catch::StartsWith("line 2 (seq 5): expected seq 4"));
  }
  SECTION("editing the anchor's hash is detected") {
    lines = lines_of(dir / "audit.log");
    const auto hash = std::string(anchor.at("removed_last_hash").as_string());
    lines[0].replace(lines[0].find(hash), 64, std::string(64, 'a'));
    write_lines(dir, lines);
    report = verified(dir);
    CHECK_FALSE(report.ok);
    CHECK(report.first_bad_line == 1);
  }
  SECTION("an anchor moved below the first line is detected") {
    lines = lines_of(dir / "audit.log");
    std::swap(lines[0], lines[1]);
    write_lines(dir, lines);
    report = verified(dir);
    CHECK_FALSE(report.ok);
    CHECK(report.first_bad_line == 1);
  }
  SECTION("trimming again replaces the anchor and keeps the seqs") {
    clock.now += 3min;  // now 4 and 5 are too old; 6 is not
    REQUIRE(log->trim());
    lines = lines_of(dir / "audit.log");
    REQUIRE(lines.size() == 2);
    CHECK(object_of(lines[0]).at("removed_through_seq") == 5);
    CHECK(object_of(lines[1]).at("seq") == 6);
    report = verified(dir);
    CHECK(report.ok);
    CHECK(report.entries == 1);
    CHECK(report.trimmed_through == 5);
  }
  SECTION("trimming everything leaves an anchor that the next entry chains to") {
    clock.now += std::chrono::hours(24 * 365);
    REQUIRE(log->trim());
    REQUIRE(lines_of(dir / "audit.log").size() == 1);
    report = verified(dir);
    CHECK(report.ok);
    CHECK(report.entries == 0);
    CHECK(report.end_checked);
    REQUIRE(log->append("agent_started"));
    CHECK(object_of(lines_of(dir / "audit.log").back()).at("seq") == 7);
    report = verified(dir);
    CHECK(report.ok);
    CHECK(report.first_seq == 7);
  }
}

TEST_CASE("opening without a retention never trims") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 3);
  clock.now += std::chrono::hours(24 * 1000);
  open_log(dir, clock, std::nullopt);
  CHECK(lines_of(dir / "audit.log").size() == 3);
}

TEST_CASE("two AuditLog objects appending in turn keep one chain") {
  TempDir dir;
  FakeClock clock;
  auto agent = open_log(dir, clock);
  auto command = open_log(dir, clock);  // as `ferry keys rotate` would, beside a running agent
  for (int i = 0; i < 10; ++i) {
    REQUIRE(agent->append("batch_acked", {{"batch_seq", i}}));
    if (i % 3 == 0) REQUIRE(command->append("key_rotated", {{"version", i + 2}}));
  }
  const auto report = verified(dir);
  CHECK(report.ok);
  CHECK(report.entries == 14);
  CHECK(report.last_seq == 14);
}

TEST_CASE("appends from many threads and two logs keep one chain while verify reads") {
  TempDir dir;
  auto first = AuditLog::open(dir.path());
  auto second = AuditLog::open(dir.path());
  REQUIRE(first);
  REQUIRE(second);
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    AuditLog& log = t % 2 == 0 ? **first : **second;
    threads.emplace_back([&log, &failed, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!log.append("batch_sent", {{"thread", t}, {"i", i}})) failed = true;
      }
    });
  }
  std::atomic<bool> done{false};
  std::atomic<int> bad_reports{0};
  std::thread verifier([&] {
    while (!done) {
      auto report = verify(dir.path());
      if (report && !report->ok) ++bad_reports;
    }
  });
  for (auto& thread : threads) thread.join();
  done = true;
  verifier.join();
  CHECK_FALSE(failed);
  CHECK(bad_reports == 0);
  const auto report = verified(dir);
  CHECK(report.ok);
  CHECK(report.entries == kThreads * kEach);
  CHECK(report.end_checked);
}

TEST_CASE("fields cannot spoof seq, at, event or prev, and the log's own events are reserved") {
  TempDir dir;
  FakeClock clock;
  auto log = open_log(dir, clock);
  for (const char* name : {"seq", "at", "event", "prev"}) {
    auto refused = log->append("batch_acked", {{name, 1}});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::kInvalidArgument);
    CHECK(refused.error().message ==
          fmt::format("audit event 'batch_acked': field name '{}' is reserved for the log itself",
                      name));
  }
  CHECK_FALSE(log->append("audit_trimmed", {{"removed_through_seq", 1}}));
  CHECK_FALSE(log->append("audit_tail_repaired"));
  CHECK_FALSE(log->append("Batch Acked"));
  CHECK_FALSE(log->append(""));
  CHECK_FALSE(log->append("batch_acked", {{"note", std::string(kMaxLineBytes, 'x')}}));
  CHECK(test::read_file(dir / "audit.log").empty());
}

TEST_CASE("a line cut short by a crash is removed at open and the removal recorded") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 3);
  const std::string whole = test::read_file(dir / "audit.log");
  dir.write("audit.log", whole + R"({"seq":4,"at":"2027-01-01T00:0)");

  auto report = verified(dir);
  CHECK(report.ok);  // an incomplete last line is not an entry
  CHECK(report.entries == 3);
  REQUIRE_FALSE(report.notes.empty());
  CHECK_THAT(report.notes[0], Catch::StartsWith("line 4 is incomplete"));

  auto log = open_log(dir, clock);
  const auto lines = lines_of(dir / "audit.log");
  REQUIRE(lines.size() == 4);
  const auto repaired = object_of(lines[3]);
  CHECK(repaired.at("event") == "audit_tail_repaired");
  CHECK(repaired.at("seq") == 4);
  CHECK(repaired.at("dropped_bytes") == 30);
  report = verified(dir);
  CHECK(report.ok);
  CHECK(report.notes.empty());
}

TEST_CASE("a log whose last line is not an entry goes on, and verify names that line") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 3);
  dir.write("audit.log", test::read_file(dir / "audit.log") + "someone was here\n");
  write_batches(dir, clock, 1);
  const auto lines = lines_of(dir / "audit.log");
  REQUIRE(lines.size() == 5);
  CHECK(object_of(lines[4]).at("seq") == 4);
  CHECK(object_of(lines[4]).at("prev").as_string() == *sha256_hex("someone was here"));
  const auto report = verified(dir);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_line == 4);
}

TEST_CASE("another process's append is picked up before the next one") {
  TempDir dir;
  FakeClock clock;
  auto log = open_log(dir, clock);
  REQUIRE(log->append("agent_started"));
  {
    auto other = open_log(dir, clock);
    REQUIRE(other->append("key_rotated", {{"version", 2}}));
  }
  REQUIRE(log->append("batch_acked"));
  CHECK(verified(dir).entries == 3);
}

TEST_CASE("read returns entries at or after a time, and lines that are not entries") {
  TempDir dir;
  FakeClock clock;
  write_batches(dir, clock, 5);  // 00:00 .. 00:04

  auto all = read(dir.path(), std::nullopt);
  REQUIRE(all);
  REQUIRE(all->size() == 5);
  CHECK(all->front().seq == 1);
  CHECK(all->front().event == "batch_acked");
  CHECK(all->front().at == "2027-01-01T00:00:00.000Z");
  CHECK(all->front().fields.at("rows") == 100);
  CHECK(all->front().line == lines_of(dir / "audit.log").front());

  auto recent = read(dir.path(), at(kJan2027) + 3min);
  REQUIRE(recent);
  REQUIRE(recent->size() == 2);
  CHECK(recent->front().seq == 4);

  auto lines = lines_of(dir / "audit.log");
  lines[1] = "not json";
  write_lines(dir, lines);
  auto damaged = read(dir.path(), at(kJan2027) + 3min);
  REQUIRE(damaged);
  REQUIRE(damaged->size() == 3);
  CHECK_FALSE(damaged->front().valid);
  CHECK(damaged->front().line_number == 2);
}

TEST_CASE("timestamps are written in UTC with milliseconds and read in RFC 3339 forms") {
  CHECK(format_timestamp(at(kJan2027) + 1234ms) == "2027-01-01T00:00:01.234Z");
  CHECK(*parse_timestamp("2027-01-01") == at(kJan2027));
  CHECK(*parse_timestamp("2027-01-01T00:00:01Z") == at(kJan2027 + 1));
  CHECK(*parse_timestamp("2027-01-01T00:00:01.234Z") == at(kJan2027) + 1234ms);
  CHECK(*parse_timestamp("2027-01-01T01:00:00+01:00") == at(kJan2027));
  CHECK(*parse_timestamp("2026-12-31T19:00:00-05:00") == at(kJan2027));
  for (const char* bad : {"", "2027-13-01", "2027-02-30", "2027-01-01T25:00:00Z",
                          "2027-01-01T00:00:00", "yesterday", "2027-01-01T00:00:00Zjunk"}) {
    INFO(bad);
    auto parsed = parse_timestamp(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("sha256_hex is the SHA-256 of the bytes in lowercase hex") {
  CHECK(*sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace ferry::audit
