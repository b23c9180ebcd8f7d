// The real `ferry` with an API source: the same ferry-gen-oneroster export read as CSV files and
// through a OneRoster REST service (the tests' fake of a SIS's API, over real HTTPS on 127.0.0.1,
// behind OAuth 2) gives the same rows and the same tokens; `ferry check` reports the API's
// reachability and credentials; no secret of the API source lands in anything the agent writes.
#include <fstream>
#include <map>
#include <set>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "tests/connectors/oneroster_rest/oneroster_api.hpp"
#include "tests/fault/child_process.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/netfault/wait_until.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

// A site whose "sis" reads the export as CSV and whose "sis_api" reads the same export through
// the OneRoster REST service, with the same policy.
struct ApiSite {
  explicit ApiSite(int users, const std::string& secret = OneRosterApi::kClientSecret)
      : site(SiteOptions{}, ""),
        generated(site.generate({"--users", std::to_string(users), "--seed", "7"})),
        api(site.export_dir()) {
    REQUIRE(generated.exit_code == 0);
    api.write_ca_file(site.dir() / "api-ca.pem");
    const auto secret_file = site.dir().write_private("api-secret", secret + "\n");
    std::string config = read_config();
    config += fmt::format(
        "  - name: sis_api\n"
        "    type: oneroster_rest\n"
        "    url: {}\n"
        "    ca_file: {}\n"
        "    auth:\n"
        "      oauth2:\n"
        "        token_url: {}\n"
        "        client_id: {}\n"
        "        client_secret_file: {}\n"
        "    page_size: 40\n"
        "    preset: oneroster\n"
        "{}",
        api.base_url(), (site.dir() / "api-ca.pem").string(), api.token_url(),
        OneRosterApi::kClientId, secret_file.string(), kSisStreams);
    site.dir().write("ferry.yaml", config);
    REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  }

  std::string read_config() const {
    std::ifstream in(site.config());
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  PipelineSite site;
  ProcessResult generated;
  OneRosterApi api;
};

// The rows a source spooled for each stream, each as its JSON text.
std::map<std::string, std::multiset<std::string>> rows_of(const SpoolContents& spool,
                                                          std::string_view source) {
  std::map<std::uint64_t, std::string> source_of;
  for (const frame::Header& header : spool.headers) source_of[header.seq] = header.source;
  std::map<std::string, std::multiset<std::string>> rows;
  for (const SpooledRow& row : spool.rows) {
    if (source_of[row.seq] != source) continue;
    rows[row.stream].insert(row.op + " " + boost::json::serialize(row.fields));
  }
  return rows;
}

TEST_CASE("an export read through OneRoster REST gives the rows and tokens of its CSV files",
          "[integration][api]") {
  ApiSite api_site(150);
  REQUIRE(api_site.site.config() == api_site.site.dir() / "ferry.yaml");
  const auto synced = api_site.site.ferry({"sync"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  const auto spool = read_spool(api_site.site.spool_db(), api_site.site.tenant().private_key);
  const auto from_csv = rows_of(spool, "sis");
  const auto from_api = rows_of(spool, "sis_api");
  for (const char* stream :
       {"orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics"}) {
    INFO(stream);
    const auto csv = from_csv.find(stream);
    const auto api = from_api.find(stream);
    if (csv == from_csv.end()) {
      CHECK(api == from_api.end());
      continue;
    }
    REQUIRE(api != from_api.end());
    CHECK(api->second == csv->second);
  }
  CHECK(from_api.at("users").size() == 150);
  // 150 users, 40 a page: 4 pages.
  CHECK(api_site.api.page_requests("users") == 4);

  // Nothing the agent wrote holds the API's secret or its access tokens.
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(api_site.site.dir().path())) {
    if (!entry.is_regular_file() || entry.path().filename() == "api-secret") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    INFO(entry.path());
    CHECK(content.find(OneRosterApi::kClientSecret) == std::string::npos);
    CHECK(content.find("at-0-") == std::string::npos);
  }
  CHECK(synced.out.find(OneRosterApi::kClientSecret) == std::string::npos);
  CHECK(synced.err.find(OneRosterApi::kClientSecret) == std::string::npos);
}

TEST_CASE("ferry check reports an API source's credentials", "[integration][api]") {
  ApiSite good(5);
  const auto passed = good.site.ferry({"check"});
  INFO(passed.out << passed.err);
  CHECK(passed.exit_code == 0);
  CHECK_THAT(passed.out, Catch::Matchers::Contains("sis_api"));

  ApiSite bad(5, "not-the-secret-55");
  const auto failed = bad.site.ferry({"check"});
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code != 0);
  CHECK_THAT(failed.out + failed.err, Catch::Matchers::Contains("invalid_client") &&
                                          Catch::Matchers::Contains("client_secret"));
  CHECK((failed.out + failed.err).find("not-the-secret-55") == std::string::npos);
}

std::string text_at(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

TEST_CASE("a rate-limited API source backs off while another API source keeps its schedule",
          "[integration][api]") {
  ApiSite api_site(20);
  // A second service that always asks to come back in an hour.
  HttpsServer limited([](const HttpExchange&) {
    HttpReply reply;
    reply.status = 429;
    reply.headers.emplace_back("Retry-After", "3600");
    return reply;
  });
  limited.write_ca_file(api_site.site.dir() / "limited-ca.pem");
  const auto token = api_site.site.dir().write_private("limited-token", "canvas-like-token\n");
  std::string config = api_site.read_config();
  // Both API sources poll every 2 s; the CSV source keeps its default hourly schedule.
  const std::string needle = "    type: oneroster_rest\n";
  config.insert(config.find(needle) + needle.size(), "    schedule: every 2s\n");
  config += fmt::format(
      "  - name: limited\n"
      "    type: oneroster_rest\n"
      "    schedule: every 2s\n"
      "    url: {}/ims/oneroster/v1p1\n"
      "    ca_file: {}\n"
      "    auth: {{bearer_file: {}}}\n"
      "    preset: oneroster\n",
      limited.base_url(), (api_site.site.dir() / "limited-ca.pem").string(), token.string());
  api_site.site.dir().write("ferry.yaml", config);
  const auto output = api_site.site.dir() / "run-output.txt";
  ChildProcess agent(api_site.site.ferry_argv({"run"}), output);

  boost::json::object api;
  boost::json::object held;
  const bool side_by_side = wait_until(
      [&] {
        api = api_site.site.source_status("sis_api");
        held = api_site.site.source_status("limited");
        return api_site.site.runs_of("sis_api") >= 3 &&
               text_at(held, "failure_class") == "rate_limited";
      },
      60s);
  INFO(boost::json::serialize(api) << "\n"
                                   << boost::json::serialize(held) << "\n"
                                   << read_file(output));
  REQUIRE(side_by_side);
  CHECK(text_at(api, "failure_class").empty());
  CHECK_THAT(text_at(held, "last_error"),
             Catch::Matchers::Contains("HTTP 429") && Catch::Matchers::Contains("3600s"));
  // Backed off for a minute at least: one request, not one every 2 s.
  CHECK(limited.requests() == 1);
}

}  // namespace
}  // namespace ferry::test
