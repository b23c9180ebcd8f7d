// `ferry check` on sources with stale_after: a WARN naming the source and the fix once its data
// has not changed for longer than that, OK while it changes; read from the spool (read-only, so
// also while the agent has it open), at a time the test gives.
#include <chrono>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "agent/cli/check_local.hpp"
#include "agent/cli/check_report.hpp"
#include "agent/spool/spool.hpp"
#include "common/crypto/x25519.hpp"
#include "tests/agent/support/test_spool.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::cli {
namespace {

using namespace std::chrono_literals;
using Time = std::chrono::system_clock::time_point;

const Time kNow = Time(std::chrono::seconds(1'795'000'000));  // 2026-11-18T11:06:40Z

std::int64_t unix_of(Time time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

struct Site {
  ferry::test::TempDir dir;
  config::Settings settings;
  std::unique_ptr<spool::Spool> spool;

  Site() {
    settings.agent.data_dir = dir.path();
    settings.file = dir / "ferry.yaml";
    for (const char* name : {"sis", "lms", "library", "new"}) {
      config::SourceSettings source;
      source.name = name;
      source.type = "oneroster_csv";
      if (std::string_view(name) != "library") source.stale_after = 36h;
      settings.sources.push_back(source);
    }
  }

  void open_spool() {
    spool = test::open_test_spool(dir / "spool.db",
                                  crypto::x25519_generate_keypair().value().public_key);
  }

  std::string check_text(Time now) {
    std::ostringstream out;
    CheckReport report(out, CheckReport::Style::kText);
    check_source_changes(settings, report, now);
    report.finish();
    CHECK_FALSE(report.failed());  // a warning never fails the check
    return out.str();
  }
};

TEST_CASE("check: a source whose data stopped changing is a warning naming it and the fix") {
  Site site;
  site.open_spool();
  // sis changed 40 hours ago; lms never changed since its first run 10 hours ago; library has no
  // stale_after; new has not run yet.
  REQUIRE(site.spool->record_source_run(
      "sis", {.ended_unix = unix_of(kNow - 40h), .rows_spooled = 12, .succeeded = true}));
  REQUIRE(site.spool->record_source_run(
      "lms", {.ended_unix = unix_of(kNow - 10h), .rows_spooled = 0, .succeeded = true}));
  // While the agent holds the spool open.
  const std::string text = site.check_text(kNow);
  CHECK_THAT(text,
             Catch::Contains("WARN  source sis changes: no change since 2026-11-16T19:06:40Z "
                             "(stale_after 36h): every run reads the same data, so the export "
                             "job that feeds this source has probably stopped: check that it "
                             "still runs and writes where the source reads\n"));
  CHECK_THAT(text, Catch::Contains("OK    source lms changes: no change yet since its first run "
                                   "at 2026-11-18T01:06:40Z (stale_after 36h)\n"));
  CHECK_THAT(text, Catch::Contains("OK    source new changes: no successful run recorded yet"));
  CHECK(text.find("library") == std::string::npos);

  // Later, with the agent stopped: lms is stale too, counted from its first run.
  site.spool.reset();
  const std::string later = site.check_text(kNow + 27h);
  CHECK_THAT(later, Catch::Contains("WARN  source lms changes: no change seen since its first "
                                    "run at 2026-11-18T01:06:40Z (stale_after 36h)"));
}

TEST_CASE("check: a change clears the warning and --json says warn") {
  Site site;
  site.open_spool();
  REQUIRE(site.spool->record_source_run(
      "sis", {.ended_unix = unix_of(kNow - 40h), .rows_spooled = 12, .succeeded = true}));
  std::ostringstream out;
  CheckReport report(out, CheckReport::Style::kJson);
  check_source_changes(site.settings, report, kNow);
  report.finish();
  const boost::json::object json = boost::json::parse(out.str()).as_object();
  CHECK(json.at("ok") == true);
  CHECK(json.at("warnings") == 1);
  const boost::json::object& first = json.at("checks").as_array().at(0).as_object();
  CHECK(first.at("check") == "source sis changes");
  CHECK(first.at("result") == "warn");

  REQUIRE(site.spool->record_source_run(
      "sis", {.ended_unix = unix_of(kNow - 1h), .rows_spooled = 3, .succeeded = true}));
  CHECK_THAT(site.check_text(kNow),
             Catch::Contains("OK    source sis changes: data last changed 2026-11-18T10:06:40Z "
                             "(stale_after 36h)"));
}

TEST_CASE("check: without a spool yet, or without stale_after, nothing is stale") {
  Site site;
  const std::string text = site.check_text(kNow);
  CHECK_THAT(text, Catch::Contains("OK    source sis changes: no successful run recorded yet"));
  CHECK(text.find("WARN") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(site.dir / "spool.db"));  // the check made none
  for (auto& source : site.settings.sources) source.stale_after.reset();
  CHECK(site.check_text(kNow).empty());
}

}  // namespace
}  // namespace ferry::cli
