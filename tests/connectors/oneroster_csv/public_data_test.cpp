// The connector on every public OneRoster CSV set of ../shared/testdata (see each folder's
// SOURCE.md), as a folder and as the zip it came in. Every row is read and none is bad: the dirty
// parts of these sets (every field quoted, CRLF without a final line break, a misspelt manifest
// row, header typos, trailing empty header names over shorter rows, UTF-8 Japanese names) are all
// things a OneRoster CSV reader must take. Read in place; skipped when ../shared is absent.
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "connectors/oneroster_csv/oneroster_source.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

using Counts = std::map<std::string, std::size_t>;  // stream -> rows

struct Read {
  test::CollectingSink sink;
  std::string state;
};

Read read_export(const std::filesystem::path& path) {
  OneRosterSource source(path);
  REQUIRE(source.check().has_value());
  Read result;
  auto state = source.read({}, result.sink, {});
  if (!state) FAIL(state.error().message);
  result.state = *state;
  auto streams = source.streams();
  REQUIRE(streams.has_value());
  REQUIRE(streams->size() == result.sink.streams.size());
  for (std::size_t i = 0; i < streams->size(); ++i) {
    CHECK((*streams)[i].name == result.sink.streams[i].info.name);
    CHECK((*streams)[i].columns == result.sink.streams[i].info.columns);
  }
  return result;
}

Counts counts_of(const test::CollectingSink& sink) {
  Counts counts;
  for (const auto& stream : sink.streams) counts[stream.info.name] = stream.rows.size();
  return counts;
}

// Reads `folder` and `zip`: the same rows, no bad row, the same fingerprint (the zips hold the
// same bytes as the folders), and nothing again for that state.
Read check_set(const std::filesystem::path& folder, const std::filesystem::path& zip,
               const Counts& expected, StreamMode mode) {
  INFO("folder " << folder.string());
  Read from_folder = read_export(folder);
  CHECK(from_folder.sink.bad_rows.empty());
  for (const auto& bad : from_folder.sink.bad_rows) WARN(bad.location << ": " << bad.reason);
  CHECK(counts_of(from_folder.sink) == expected);
  for (const auto& stream : from_folder.sink.streams) {
    CHECK(stream.mode == mode);
    CHECK(stream.ended);
    CHECK(stream.info.key == "sourcedId");
  }

  INFO("zip " << zip.string());
  Read from_zip = read_export(zip);
  CHECK(from_zip.sink.bad_rows.empty());
  CHECK(counts_of(from_zip.sink) == expected);
  for (std::size_t i = 0; i < from_zip.sink.streams.size(); ++i) {
    CHECK(from_zip.sink.streams[i].rows == from_folder.sink.streams[i].rows);
  }
  CHECK(from_zip.state == from_folder.state);

  OneRosterSource source(zip);
  test::CollectingSink again;
  auto state = source.read(ResumeState{from_zip.state, {}}, again, {});
  REQUIRE(state.has_value());
  CHECK(*state == from_zip.state);
  CHECK(again.calls == 0);
  return from_folder;
}

}  // namespace

TEST_CASE("public data: lepo rosterhub OneRoster 1.1 sets read whole, English and Japanese") {
  FERRY_REQUIRE_TESTDATA(root, "oneroster-1.1-lepo-rosterhub");
  const Counts expected{{"academicSessions", 4}, {"classes", 5}, {"courses", 2},
                        {"enrollments", 30},     {"orgs", 1},    {"users", 20}};
  const Read en =
      check_set(root / "en", root / "en" / "oneroster.zip", expected, StreamMode::kSnapshot);
  const Read ja =
      check_set(root / "ja", root / "ja" / "oneroster.zip", expected, StreamMode::kSnapshot);

  const auto* users = ja.sink.find("users");
  REQUIRE(users != nullptr);
  CHECK(users->info.columns.size() == 20);
  CHECK(users->info.columns.back() == "metadata.phoneticFamilyName");
  CHECK(users->at(0, "sourcedId") == "us0001");
  CHECK(users->at(0, "givenName") ==
        "\xE5\x90\x8D"
        "01");  // 名01
  CHECK(users->at(0, "status").empty());
  CHECK(en.sink.find("users")->at(0, "email") == "user01@sample-u.ac.jp");
  CHECK(en.state != ja.state);
}

TEST_CASE("public data: catalyst moodle OneRoster 1.1 and 1.2 bulk sets read whole") {
  FERRY_REQUIRE_TESTDATA(root, "oneroster-catalyst-moodle-fixtures");
  const Counts v1p1{
      {"academicSessions", 5}, {"classes", 2}, {"enrollments", 6}, {"orgs", 1}, {"users", 6}};
  check_set(root / "Test_full_data_set", root / "zips" / "Test_full_data_set.zip", v1p1,
            StreamMode::kSnapshot);
  check_set(root / "Test_minimal_data_set", root / "zips" / "Test_minimal_data_set.zip", v1p1,
            StreamMode::kSnapshot);

  // 1.2: userProfiles has an empty manifest value (absent); roles.csv's header ends in two empty
  // names over nine-field rows, and misspells dateLastModified; users.csv misspells the preferred
  // names. The misspellings are known aliases: they arrive under the names the preset lists.
  Counts v1p2 = v1p1;
  v1p2["roles"] = 7;
  const Read full = check_set(root / "v1p2_full_dataset", root / "zips" / "v1p2_full_dataset.zip",
                              v1p2, StreamMode::kSnapshot);
  const auto* roles = full.sink.find("roles");
  REQUIRE(roles != nullptr);
  CHECK(roles->info.columns.size() == 9);
  CHECK(roles->info.columns[2] == "dateLastModified");
  CHECK(roles->at(6, "role") == "guardian");
  const auto* users = full.sink.find("users");
  REQUIRE(users != nullptr);
  CHECK(users->at(2, "userIds") == "{LDAP:12},{LTI:15},{Fed:23}");
  CHECK(users->at(0, "preferredMiddleName") == "Mick");
  CHECK(users->info.columns[17] == "preferredGivenName");
  // A bulk file's tobedeleted rows are part of the snapshot, so they arrive as upserts.
  const auto* sessions = full.sink.find("academicSessions");
  REQUIRE(sessions != nullptr);
  CHECK(sessions->at(0, "status") == "tobedeleted");
  CHECK(sessions->ops[0] == RowOp::kUpsert);
}

TEST_CASE("public data: catalyst moodle OneRoster 1.2 delta set reads as changes") {
  FERRY_REQUIRE_TESTDATA(root, "oneroster-catalyst-moodle-fixtures");
  const Counts expected{{"academicSessions", 1},
                        {"classes", 1},
                        {"courses", 1},
                        {"demographics", 1},
                        {"enrollments", 1},
                        {"orgs", 1},
                        {"roles", 1},
                        {"userProfiles", 1},
                        {"users", 1}};
  const Read delta =
      check_set(root / "oneroster_test_data", root / "zips" / "oneroster_test_data.zip", expected,
                StreamMode::kChanges);
  for (const auto& stream : delta.sink.streams) {
    CHECK(stream.ops == std::vector<RowOp>{RowOp::kUpsert});  // all "active"
  }
  CHECK(delta.sink.find("demographics")->at(0, "birthDate") == "2010-04-17");
}

TEST_CASE("public data: Clever and SDS CSV sets are not OneRoster and check says so") {
  // Neither has a manifest.csv, so neither is read as OneRoster: check() says what each is and
  // which type reads it.
  struct Set {
    const char* folder;
    const char* looks_like;
  };
  for (const Set& set : {Set{"clever-sftp-sandbox-csv", "a Clever export"},
                         Set{"microsoft-sds-csv/sds-v2.1", "School Data Sync v2.1 export"},
                         Set{"microsoft-sds-csv/sds-v1-100users", "School Data Sync v1 export"}}) {
    FERRY_REQUIRE_TESTDATA(folder, set.folder);
    INFO(folder.string());
    CHECK_FALSE(std::filesystem::exists(folder / "manifest.csv"));
    OneRosterSource source(folder);
    auto checked = source.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().code == ErrorCode::kConfig);
    CHECK_THAT(checked.error().message, Catch::Contains("manifest.csv is not in") &&
                                            Catch::Contains(set.looks_like) &&
                                            Catch::Contains("read it with type: csv"));
  }
}

}  // namespace ferry::connectors::oneroster_csv
