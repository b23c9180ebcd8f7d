// The real `ferry` with an Ed-Fi source: resources of an Ed-Fi ODS/API (the tests' fake of one,
// over real HTTPS on 127.0.0.1, behind OAuth 2) read with `preset: edfi` into the spool with the
// preset's tokens, then only their changes and deletes (change queries) on the next sync;
// `ferry check` reports the source; no secret of it lands in anything the agent writes.
#include <fstream>
#include <map>

#include <boost/json/object.hpp>
#include <catch2/catch.hpp>

#include "tests/connectors/edfi/edfi_api.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"

namespace ferry::test {
namespace {

// A synthetic student (no real person).
boost::json::object student(int n) {
  boost::json::object record;
  record["id"] = "5f0c0de0000000000000000000000" + std::to_string(100 + n);
  record["studentUniqueId"] = "S-" + std::to_string(7000 + n);
  record["firstName"] = "Testfirst" + std::to_string(n);
  record["lastSurname"] = "Testlast" + std::to_string(n);
  record["birthDate"] = "2011-0" + std::to_string(1 + n % 9) + "-15";
  record["_etag"] = "1";
  return record;
}

boost::json::object enrollment(int n) {
  boost::json::object record;
  record["id"] = "a55ac0de000000000000000000000" + std::to_string(100 + n);
  record["studentReference"] =
      boost::json::object{{"studentUniqueId", "S-" + std::to_string(7000 + n)}};
  record["schoolReference"] = boost::json::object{{"schoolId", 255901001}};
  record["entryDate"] = "2026-08-20";
  record["entryGradeLevelDescriptor"] = "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade";
  return record;
}

struct EdfiSite {
  EdfiSite() : site(SiteOptions{}, ""), generated(site.generate({"--users", "5", "--seed", "3"})) {
    REQUIRE(generated.exit_code == 0);
    api.write_ca_file(site.dir() / "edfi-ca.pem");
    const auto secret_file =
        site.dir().write_private("edfi-secret", std::string(EdfiApi::kClientSecret) + "\n");
    std::ifstream in(site.config());
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    config += fmt::format(
        "  - name: edfi\n"
        "    type: edfi\n"
        "    url: {}\n"
        "    ca_file: {}\n"
        "    auth:\n"
        "      oauth2:\n"
        "        token_url: {}\n"
        "        client_id: {}\n"
        "        client_secret_file: {}\n"
        "    page_size: 2\n"
        "    preset: edfi\n",
        api.root_url(), (site.dir() / "edfi-ca.pem").string(), api.token_url(), EdfiApi::kClientId,
        secret_file.string());
    site.dir().write("ferry.yaml", config);
    REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  }

  PipelineSite site;
  ProcessResult generated;
  EdfiApi api;
};

// The rows source "edfi" spooled, by stream.
std::map<std::string, std::vector<SpooledRow>> edfi_rows(const EdfiSite& edfi) {
  return rows_by_stream(read_spool(edfi.site.spool_db(), edfi.site.tenant().private_key), "edfi");
}

TEST_CASE("ferry sync reads an Ed-Fi API whole and then only its changes and deletes",
          "[integration][api][edfi]") {
  EdfiSite edfi;
  for (int n = 1; n <= 3; ++n) {
    edfi.api.upsert("students", student(n));
    edfi.api.upsert("studentSchoolAssociations", enrollment(n));
  }
  const auto first = edfi.site.ferry({"sync"});
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  auto rows = edfi_rows(edfi);
  REQUIRE(rows["students"].size() == 3);
  REQUIRE(rows["studentSchoolAssociations"].size() == 3);
  std::map<std::string, std::string> token_of_student;  // studentUniqueId token -> row id token
  for (const SpooledRow& row : rows["students"]) {
    CHECK(row.op == "upsert");
    // The preset: SIS id and record id pseudonymized, names dropped, the birth year kept.
    CHECK(row.fields.if_contains("firstName") == nullptr);
    CHECK(row.fields.if_contains("lastSurname") == nullptr);
    CHECK(text_of(row, "studentUniqueId").find("S-70") == std::string::npos);
    CHECK_FALSE(text_of(row, "studentUniqueId").empty());
    CHECK(text_of(row, "id").find("5f0c0de") == std::string::npos);
    token_of_student[text_of(row, "studentUniqueId")] = text_of(row, "id");
  }
  for (const SpooledRow& row : rows["studentSchoolAssociations"]) {
    // The same student gets the same token in both resources (domain user).
    CHECK(token_of_student.contains(text_of(row, "studentUniqueId")));
    CHECK(text_of(row, "entryGradeLevelDescriptor") == "Ninth grade");
    const auto* school = row.fields.if_contains("schoolId");
    REQUIRE(school != nullptr);
    CHECK(school->is_int64());
  }

  // One student changes, one leaves: the next sync sends exactly that.
  auto changed = student(2);
  changed["birthDate"] = "2012-02-15";
  edfi.api.upsert("students", changed);
  edfi.api.remove("students", std::string(student(3).at("id").as_string()));
  const auto second = edfi.site.ferry({"sync"});
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
  rows = edfi_rows(edfi);
  REQUIRE(rows["students"].size() == 5);
  CHECK(rows["students"][3].op == "upsert");
  CHECK(rows["students"][4].op == "delete");
  CHECK(rows["studentSchoolAssociations"].size() == 3);
  // The second run asked for the change window, not the whole resource.
  CHECK(edfi.api.requests(EdfiApi::Route::kDeletes, "students") >= 1);

  // Nothing the agent wrote holds the API's secret, and no output either.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(edfi.site.dir().path())) {
    if (!entry.is_regular_file() || entry.path().filename() == "edfi-secret") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    INFO(entry.path());
    CHECK(content.find(EdfiApi::kClientSecret) == std::string::npos);
    CHECK(content.find("Testfirst") == std::string::npos);
  }
  for (const ProcessResult* run : {&first, &second}) {
    CHECK(run->out.find(EdfiApi::kClientSecret) == std::string::npos);
    CHECK(run->err.find(EdfiApi::kClientSecret) == std::string::npos);
  }

  const auto checked = edfi.site.ferry({"check"});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.out, Catch::Matchers::Contains("edfi"));
}

}  // namespace
}  // namespace ferry::test
