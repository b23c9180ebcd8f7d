// Birth dates an export writes as M/D/YY, read with `date_format: "%m/%d/%y"`: each gives its
// year, ISO dates still read, and a value that is no date is sent as null and counted as a bad
// value in `ferry preview`, `ferry sync`, `ferry status` (JSON and table), the metrics and the
// log, which name the field and never the value.
#include <chrono>
#include <csignal>
#include <set>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/fault/child_process.hpp"
#include "tests/integration/csv_table.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/local_http.hpp"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr std::string_view kDemographics =
    "      demographics:\n"
    "        extends: preset\n"
    "        fields:\n"
    "          birthDate: {transform: generalize, to: year, date_format: \"%m/%d/%y\"}\n";

// "2009-04-07" -> "4/7/09".
std::string as_us_date(const std::string& iso) {
  return fmt::format("{}/{}/{}", std::stoi(iso.substr(5, 2)), std::stoi(iso.substr(8, 2)),
                     iso.substr(2, 2));
}

// Rewrites the birth dates of demographics.csv as M/D/YY where the two-digit year reads back as
// the same year (1969-2068), keeps the others ISO, and makes the given rows' dates unreadable.
// Returns the years the tenant should get, with "null" for each unreadable one.
std::multiset<std::string> rewrite_birth_dates(const fs::path& file,
                                               const std::vector<std::string>& unreadable) {
  auto table = test::CsvTable::load(file);
  const auto column = table.column("birthDate");
  std::multiset<std::string> expected;
  std::size_t us_dates = 0;
  for (std::size_t i = 0; i < table.rows().size(); ++i) {
    std::string& date = table.rows()[i][column];
    if (i < unreadable.size()) {
      date = unreadable[i];
      expected.insert("null");
      continue;
    }
    const std::string year = date.substr(0, 4);
    expected.insert(year);
    if (year >= "1969" && year <= "2068") {
      date = as_us_date(date);
      ++us_dates;
    }
  }
  REQUIRE(us_dates > 10);
  table.save(file);
  return expected;
}

std::multiset<std::string> sent_birth_years(const test::SpoolContents& spool) {
  std::multiset<std::string> years;
  for (const auto* row : spool.of("demographics")) {
    const auto* value = row->fields.if_contains("birthDate");
    years.insert(value == nullptr   ? "(absent)"
                 : value->is_null() ? "null"
                                    : test::text_of(*row, "birthDate"));
  }
  return years;
}

const boost::json::object& stream_of(const boost::json::object& source, std::string_view name) {
  static const boost::json::object none;
  const auto* streams = source.if_contains("streams");
  if (streams == nullptr || !streams->is_array()) return none;
  for (const auto& item : streams->as_array()) {
    const auto* named = item.is_object() ? item.as_object().if_contains("name") : nullptr;
    if (named != nullptr && named->is_string() && named->as_string() == name) {
      return item.as_object();
    }
  }
  return none;
}

TEST_CASE("dates in a date_format give their year and a value that is no date is a bad value") {
  test::PipelineSite site({.log_level = "info"});
  // The "sis" source reads demographics' birth dates in the export's own format.
  std::string config = test::read_file(site.config());
  const auto streams = config.find(test::kSisStreams);
  REQUIRE(streams != std::string::npos);
  config.insert(streams + test::kSisStreams.size(), kDemographics);
  REQUIRE(site.generate({"--users", "40", "--seed", "13"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const fs::path demographics = site.export_dir() / "demographics.csv";
  site.dir().write(site.config().filename().string(), config);
  const auto expected = rewrite_birth_dates(demographics, {"31/31/99"});

  const auto previewed = site.ferry({"preview", "--source", "sis", "--stream", "demographics"});
  INFO(previewed.out << previewed.err);
  CHECK(previewed.exit_code == 0);
  CHECK_THAT(previewed.out, Contains(R"("birthDate":null)"));
  CHECK_THAT(previewed.err, Contains("demographics: 1 bad value in the rows shown") &&
                                Contains("bad values in birthDate: 1 written as null"));

  const auto synced = site.ferry({"sync", "--no-upload"});
  INFO(synced.out << synced.err);
  CHECK(synced.exit_code == 0);
  CHECK_THAT(synced.out,
             Contains(fmt::format("sis.demographics: 40 rows read, 40 new or changed, 0 deletes, 0 "
                                  "unchanged, 0 bad rows, 1 bad value")));
  CHECK_THAT(synced.out,
             Contains("sis.users: 40 rows read") && Contains("0 bad rows, 0 bad values"));
  CHECK_THAT(synced.err, Contains("bad values in birthDate: 1 written as null"));
  CHECK(sent_birth_years(test::read_spool(site.spool_db(), site.tenant().private_key)) == expected);

  // A second unreadable date (30 February), read by the agent: status, metrics and log.
  {
    auto table = test::CsvTable::load(demographics);
    table.rows().at(1).at(table.column("birthDate")) = "2/30/09";
    table.save(demographics);
  }
  const auto port = test::free_loopback_port();
  REQUIRE(port != 0);
  config.insert(config.find("  data_dir:"), fmt::format("  metrics: 127.0.0.1:{}\n", port));
  site.dir().write(site.config().filename().string(), config);
  {
    test::ChildProcess agent(site.ferry_argv({"run"}), site.dir() / "run-output.txt");
    REQUIRE(
        test::wait_until([&] { return site.runs_of("sis") >= 1 || !agent.running(); }, 60s, 100ms));
    REQUIRE(agent.running());
    const auto source = site.source_status("sis");
    INFO(boost::json::serialize(source));
    CHECK(stream_of(source, "demographics").at("bad_values") == 2);
    CHECK(stream_of(source, "demographics").at("bad_rows") == 0);
    CHECK(stream_of(source, "users").at("bad_values") == 0);
    const auto shown = site.ferry({"status"});
    CHECK_THAT(shown.out,
               Contains("stream sis.demographics: last run had 0 bad rows, 2 bad values"));
    const std::string scraped = test::http_get(port, "/metrics");
    INFO(scraped);
    CHECK_THAT(scraped,
               Contains("ferry_source_bad_values_total{source=\"sis\",type=\"oneroster_csv\"} 2"));
    REQUIRE(agent.signal(SIGTERM));
    REQUIRE(agent.wait_for(10s) == 0);
  }
  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  CHECK(sent_birth_years(spool).count("null") >= 2);
  const std::string log = test::read_file(site.log_file());
  CHECK_THAT(log, Contains("bad values written as null source=sis stream=demographics "
                           "field=birthDate count=2"));
  CHECK(log.find("31/31/99") == std::string::npos);
  CHECK(log.find("2/30/09") == std::string::npos);
}

}  // namespace
}  // namespace ferry
