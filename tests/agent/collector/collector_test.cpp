// The collector with scripted sources, a real spool and a fake clock: sources side by side,
// back-off after failures, an exception out of a connector, failed streams, ferry sync's runs.
#include "agent/collector/collector.hpp"

#include <chrono>

#include <catch2/catch.hpp>

#include "agent/collector/source_runner.hpp"
#include "common/crypto/x25519.hpp"
#include "tests/agent/support/scripted_source.hpp"
#include "tests/agent/support/test_spool.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::collector {
namespace {

using namespace std::chrono_literals;

const env::WallTime kStart = env::WallTime(std::chrono::seconds(1772446650));

// Waits (in real time, with a deadline) until `done` holds.
template <class Condition>
bool eventually(Condition done) {
  return test::wait_until(done, 30s);
}

struct Site {
  test::TempDir dir;
  test::FakeClock clock{kStart};
  config::Settings settings;
  std::unique_ptr<spool::Spool> spool;
  keys::Keyring keyring;
  std::map<std::string, std::shared_ptr<test::Script>> scripts;

  explicit Site(const std::vector<std::string>& sources)
      : keyring(keys::Keyring::create(dir / "keyring.json", std::chrono::system_clock::now())
                    .value()) {
    settings.agent.data_dir = dir.path();
    settings.uplink.batch.max_rows = 100;
    for (const auto& name : sources) {
      config::SourceSettings source;
      source.name = name;
      source.type = "scripted";
      source.schedule.kind = config::Schedule::Kind::kEvery;
      source.schedule.every = std::chrono::minutes(15);
      source.streams = {test::scripted_stream("users"), test::scripted_stream("classes")};
      settings.sources.push_back(source);
      scripts[name] = std::make_shared<test::Script>();
    }
    spool = test::open_test_spool(dir / "spool.db",
                                  crypto::x25519_generate_keypair().value().public_key);
  }

  std::unique_ptr<Collector> collector(bool scheduled = true) {
    auto made = try_collector(scheduled);
    REQUIRE(made);
    return std::move(*made);
  }

  Result<std::unique_ptr<Collector>> try_collector(
      bool scheduled = true, const env::FileSystem& file_system = env::real_file_system()) {
    CollectorOptions options;
    options.clock = &clock;
    options.file_system = &file_system;
    options.scheduled = scheduled;
    options.make_source = [this](const config::SourceSettings& source,
                                 const connectors::SourceContext&)
        -> Result<std::unique_ptr<connectors::Source>> {
      return std::make_unique<test::ScriptedSource>(scripts.at(source.name));
    };
    return Collector::create(settings, *spool, keyring, options);
  }

  test::Script& script(const std::string& name) { return *scripts.at(name); }
};

const SourceStatus& status_of(const std::vector<SourceStatus>& all, std::string_view name) {
  for (const auto& status : all) {
    if (status.name == name) return status;
  }
  FAIL("no source " << name);
  throw std::logic_error("unreachable");
}

std::uint64_t runs_of(Collector& collector, std::string_view name) {
  return status_of(collector.sources(), name).runs_total;
}

TEST_CASE("collector: a source the connector refuses is named once in the error") {
  config::SourceSettings settings;
  settings.name = "sis";
  settings.type = "scripted";
  const auto refuse = [](std::string message) {
    return [message](const config::SourceSettings&, const connectors::SourceContext&)
               -> Result<std::unique_ptr<connectors::Source>> {
      return make_error(ErrorCode::kConfig, "{}", message);
    };
  };
  auto plain = SourceRunner::create(settings, {}, refuse("no path: add path: <the folder>"));
  REQUIRE_FALSE(plain);
  CHECK(plain.error().message == "source 'sis': no path: add path: <the folder>");
  CHECK(plain.error().code == ErrorCode::kConfig);
  auto named = SourceRunner::create(settings, {}, refuse("source 'sis': no path"));
  REQUIRE_FALSE(named);
  CHECK(named.error().message == "source 'sis': no path");
}

TEST_CASE("collector: a blocked source does not hold up another one's schedule") {
  Site site({"library", "sis"});
  site.script("library").set([](test::Script& s) { s.blocked = true; });
  auto collector = site.collector();
  collector->start();
  REQUIRE(eventually([&] { return runs_of(*collector, "sis") == 1; }));
  REQUIRE(site.script("library").get<int>([](const test::Script& s) { return s.reading; }) == 1);
  // Fifteen minutes later sis runs again; library still waits for its lock.
  site.clock.advance(15min);
  REQUIRE(eventually([&] { return runs_of(*collector, "sis") == 2; }));
  const auto now = collector->sources();
  CHECK(status_of(now, "library").running);
  CHECK_FALSE(status_of(now, "sis").running);
  CHECK(status_of(now, "sis").last_success == kStart + 15min);
  CHECK(status_of(now, "sis").next_run == kStart + 30min);
  site.script("library").set([](test::Script& s) { s.blocked = false; });
  // Its overlong run (15 minutes on the fake clock) is followed by the next one at once: by the
  // time this looks, library may have run twice.
  REQUIRE(eventually([&] { return runs_of(*collector, "library") >= 1; }));
  CHECK(status_of(collector->sources(), "library").last_error.empty());
  collector->stop();
}

TEST_CASE("collector: stop ends a blocked run, which keeps nothing and reports no error") {
  Site site({"sis"});
  site.script("sis").set([](test::Script& s) { s.blocked = true; });
  auto collector = site.collector();
  collector->start();
  REQUIRE(eventually(
      [&] { return site.script("sis").get<int>([](const test::Script& s) { return s.reading; }); }));
  collector->stop();
  const auto after = status_of(collector->sources(), "sis");
  CHECK_FALSE(after.running);
  CHECK(after.errors_total == 0);
  CHECK_FALSE(site.spool->source_state("sis").value());
}

TEST_CASE("collector: a failing source backs off by its class, and a success resets it") {
  Site site({"lms"});
  site.script("lms").set([](test::Script& s) { s.fail_read = ErrorCode::kUnavailable; });
  auto collector = site.collector();
  collector->start();
  REQUIRE(eventually([&] { return runs_of(*collector, "lms") == 1; }));
  auto status = status_of(collector->sources(), "lms");
  CHECK(status.failure == FailureClass::kUnavailable);
  CHECK(status.consecutive_failures == 1);
  CHECK(status.retrying);
  CHECK(status.next_run == kStart + 30s);
  CHECK_THAT(status.last_error, Catch::Contains("the scripted source fails"));
  site.clock.advance(29s);
  site.clock.advance(1s);
  REQUIRE(eventually([&] { return runs_of(*collector, "lms") == 2; }));
  CHECK(status_of(collector->sources(), "lms").next_run == kStart + 30s + 60s);
  site.script("lms").set([](test::Script& s) { s.fail_read.reset(); });
  site.clock.advance(60s);
  REQUIRE(eventually([&] { return runs_of(*collector, "lms") == 3; }));
  status = status_of(collector->sources(), "lms");
  CHECK(status.consecutive_failures == 0);
  CHECK(status.failure == FailureClass::kNone);
  CHECK_FALSE(status.retrying);
  CHECK(status.last_error.empty());
  CHECK(status.next_run == kStart + 90s + 15min);
  collector->stop();
}

TEST_CASE("collector: an exception out of a connector fails that run only, without its text") {
  Site site({"sis", "lms"});
  site.script("sis").set([](test::Script& s) { s.throw_in_read = true; });
  auto collector = site.collector();
  collector->start();
  REQUIRE(eventually([&] { return runs_of(*collector, "sis") == 1 && runs_of(*collector, "lms") == 1; }));
  const auto sis = status_of(collector->sources(), "sis");
  CHECK(sis.failure == FailureClass::kInternal);
  CHECK_THAT(sis.last_error, Catch::Contains("std::runtime_error escaped it"));
  CHECK(sis.last_error.find("Zelda") == std::string::npos);  // what() may quote the data
  CHECK(sis.next_run == kStart + 1min);
  CHECK(status_of(collector->sources(), "lms").last_error.empty());
  // The agent goes on: the next attempt runs.
  site.script("sis").set([](test::Script& s) { s.throw_in_read = false; });
  site.clock.advance(1min);
  REQUIRE(eventually([&] { return runs_of(*collector, "sis") == 2; }));
  CHECK(status_of(collector->sources(), "sis").last_error.empty());
  collector->stop();
}

TEST_CASE("collector: a failed stream is reported per stream, the others are spooled") {
  Site site({"sis"});
  site.script("sis").set([](test::Script& s) { s.failing = {"classes"}; });
  auto collector = site.collector();
  collector->start();
  REQUIRE(eventually([&] { return runs_of(*collector, "sis") == 1; }));
  const auto sis = status_of(collector->sources(), "sis");
  CHECK(sis.failure == FailureClass::kBadData);
  CHECK_THAT(sis.last_error, Catch::Contains("1 of 2 streams failed") &&
                                 Catch::Contains("stream 'classes': classes.csv cannot be read"));
  CHECK_FALSE(sis.last_success);
  REQUIRE(sis.streams.size() == 2);
  CHECK(sis.streams[0].name == "users");
  CHECK(sis.streams[0].last_error.empty());
  CHECK(sis.streams[0].rows_last_run == 2);
  CHECK(sis.streams[0].last_success);
  CHECK(sis.streams[1].name == "classes");
  CHECK_THAT(sis.streams[1].last_error, Catch::Contains("cannot be read"));
  CHECK_FALSE(sis.streams[1].last_success);
  CHECK(sis.batches_total == 1);  // users only
  collector->stop();
}

// A disk that refuses new folders.
class NoNewFolders final : public env::RealFileSystem {
 public:
  Result<void> create_directories(const std::filesystem::path& path) const override {
    return make_error(ErrorCode::kIo, "cannot create the folder {}: No space left on device",
                      path.string());
  }
};

TEST_CASE("collector: a scratch folder that cannot be made stops the start with a clear error") {
  Site site({"sis"});
  NoNewFolders full_disk;
  auto made = site.try_collector(true, full_disk);
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kIo);
  CHECK_THAT(made.error().message,
             Catch::Contains("source 'sis': its scratch folder cannot be prepared") &&
                 Catch::Contains("No space left on device"));
  // With a working disk the folder is there, private, and emptied at every start.
  auto collector = site.collector();
  const auto scratch = site.dir / "scratch" / "sis";
  CHECK(std::filesystem::is_directory(scratch));
  std::filesystem::create_directories(scratch / "left-over");
  collector.reset();
  collector = site.collector();
  CHECK(std::filesystem::is_empty(scratch));
}

TEST_CASE("collector: run_once runs each source once, side by side, for ferry sync") {
  Site site({"sis", "lms"});
  auto collector = site.collector(false);
  collector->start();
  // Not scheduled: nothing runs by itself, however late it gets.
  site.clock.advance(48h);
  CHECK(runs_of(*collector, "sis") == 0);
  site.script("lms").set([](test::Script& s) { s.fail_read = ErrorCode::kAuth; });
  const auto results = collector->run_once({}, false, {}, std::stop_token());
  REQUIRE(results.size() == 2);
  CHECK(results[0].source == "sis");
  CHECK(results[0].outcome.kind == RunEnd::Kind::kSucceeded);
  REQUIRE(results[0].outcome.report);
  CHECK(results[0].outcome.report->streams.size() == 2);
  CHECK(results[1].source == "lms");
  CHECK(results[1].outcome.kind == RunEnd::Kind::kFailed);
  CHECK(results[1].outcome.failure == FailureClass::kAuth);
  collector->stop();
}

}  // namespace
}  // namespace ferry::collector
