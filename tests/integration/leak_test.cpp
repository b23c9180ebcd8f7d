// End to end, with the real `ferry` binary and a generated OneRoster export: nothing personal
// reaches the disk or the log in the clear, every row is spooled exactly once with the preset's
// columns only, tokens join across tables, and a changed export spools exactly its changes.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "common/crypto/tokens.hpp"
#include "common/keys/keyring.hpp"
#include "connectors/oneroster_csv/oneroster_csv.hpp"
#include "tests/integration/csv_table.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using test::CsvTable;
using test::SpoolContents;
using test::SpooledRow;

constexpr std::uint64_t kUsers = 200;
constexpr std::uint64_t kPerUser = 5;

// The personal values of a users.csv (and the birth dates of demographics.csv): none of them may
// be found anywhere on disk, in the log or in what ferry prints, nor in the decrypted batches.
void add_personal_values(const CsvTable& users, const CsvTable& demographics,
                         std::set<std::string>& out) {
  for (const char* column : {"sourcedId", "givenName", "familyName", "middleName", "username",
                             "email", "identifier", "sms", "phone", "password", "userIds"}) {
    for (auto& value : users.values(column)) {
      if (!value.empty()) out.insert(std::move(value));
    }
  }
  for (auto& value : demographics.values("birthDate")) out.insert(std::move(value));
}

// Where one of `values` occurs in `haystack`; "" when none does.
std::string first_leak(std::string_view haystack, const std::set<std::string>& values) {
  for (const auto& value : values) {
    if (haystack.find(value) != std::string_view::npos) return value;
  }
  return {};
}

// Every file under `dir`, recursively, and the file `extra` when it exists: none may hold a value.
void check_no_leak_in_files(const fs::path& dir, const fs::path& extra,
                            const std::set<std::string>& values) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (fs::exists(extra)) files.push_back(extra);
  REQUIRE(files.size() >= 2);  // at least keyring.json and spool.db
  for (const auto& file : files) {
    INFO("file " << file.string());
    CHECK(first_leak(test::read_file(file), values).empty());
  }
}

// The columns of each stream that the oneroster preset sends (anything but drop).
std::map<std::string, std::set<std::string>> preset_columns() {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& stream : connectors::oneroster_csv::preset_streams()) {
    auto& columns = out[stream.name];
    for (const auto& field : stream.fields) {
      if (field.transform != config::Transform::kDrop) columns.insert(field.name);
    }
  }
  return out;
}

// Rows of `stream` and their count per op, for precise assertions.
std::size_t count(const SpoolContents& spool, std::string_view stream, std::string_view op) {
  return spool.of(stream, op).size();
}

// Tokens made with the site's key file, to check what the agent sent.
class Tokens {
 public:
  explicit Tokens(const fs::path& data_dir) {
    auto keyring = keys::Keyring::load(keys::keyring_path(data_dir));
    if (!keyring) FAIL("cannot load the key file: " << keyring.error().message);
    secret_.assign(keyring->active().secret.begin(), keyring->active().secret.end());
    version_ = keyring->active().version;
  }

  std::string reveal(std::string_view domain, std::string_view token) {
    auto revealed = pseudonymizer(domain).reveal(token);
    if (!revealed) FAIL("a token does not reveal in domain " << domain);
    return *revealed;
  }

  std::string pseudonymize(std::string_view domain, std::string_view value) {
    std::string out;
    REQUIRE(pseudonymizer(domain).pseudonymize(value, out));
    return out;
  }

  std::string hash(std::string_view domain, std::string_view value) {
    auto hasher = crypto::Hasher::create(secret_, version_, domain);
    REQUIRE(hasher);
    std::string out;
    REQUIRE(hasher->hash(value, out));
    return out;
  }

 private:
  crypto::Pseudonymizer& pseudonymizer(std::string_view domain) {
    auto found = pseudonymizers_.find(std::string(domain));
    if (found == pseudonymizers_.end()) {
      auto made = crypto::Pseudonymizer::create(secret_, version_, domain);
      REQUIRE(made);
      found = pseudonymizers_.emplace(std::string(domain), std::move(*made)).first;
    }
    return found->second;
  }

  crypto::Bytes secret_;
  std::uint32_t version_ = 0;
  std::map<std::string, crypto::Pseudonymizer> pseudonymizers_;
};

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// seq runs first, first+1, ... without a gap, and each header carries its row's seq.
void check_seqs(const SpoolContents& spool, std::uint64_t first) {
  REQUIRE_FALSE(spool.seqs.empty());
  for (std::size_t i = 0; i < spool.seqs.size(); ++i) {
    INFO("batch " << i);
    CHECK(spool.seqs[i] == first + i);
    CHECK(spool.headers[i].seq == spool.seqs[i]);
    CHECK(spool.headers[i].kind == "rows");
    CHECK(spool.headers[i].source == "sis");
    CHECK(spool.headers[i].agent_id == "school-042");
    CHECK(spool.headers[i].tenant_id == "district-7");
  }
}

// The batches stored after `first_seq`.
SpoolContents batches_from(const SpoolContents& spool, std::uint64_t first_seq) {
  SpoolContents out;
  for (std::size_t i = 0; i < spool.seqs.size(); ++i) {
    if (spool.seqs[i] < first_seq) continue;
    out.seqs.push_back(spool.seqs[i]);
    out.headers.push_back(spool.headers[i]);
  }
  for (const auto& row : spool.rows) {
    if (row.seq >= first_seq) out.rows.push_back(row);
  }
  return out;
}

std::multiset<std::string> texts(const std::vector<const SpooledRow*>& rows,
                                 std::string_view column) {
  std::multiset<std::string> out;
  for (const auto* row : rows) out.insert(test::text_of(*row, column));
  return out;
}

TEST_CASE("a sync spools each row once, with tokens that join and no personal value in the clear") {
  test::PipelineSite site;
  const auto generated = site.generate({"--users", std::to_string(kUsers), "--enrollments-per-user",
                                        std::to_string(kPerUser), "--seed", "42"});
  REQUIRE(generated.exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);

  auto users = CsvTable::load(site.export_dir() / "users.csv");
  auto enrollments = CsvTable::load(site.export_dir() / "enrollments.csv");
  auto demographics = CsvTable::load(site.export_dir() / "demographics.csv");
  REQUIRE(users.rows().size() == kUsers);
  REQUIRE(enrollments.rows().size() == kUsers * kPerUser);
  std::set<std::string> personal;
  add_personal_values(users, demographics, personal);
  std::string printed;  // everything ferry printed, checked for leaks at the end

  const auto first = site.ferry({"sync", "--no-upload"});
  printed += first.out + first.err;
  INFO("first sync stderr: " << first.err);
  REQUIRE(first.exit_code == 0);

  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  check_seqs(spool, 1);
  Tokens tokens(site.data_dir());

  // Every row of every bulk file arrives exactly once, as an upsert, with the preset's columns.
  auto allowed = preset_columns();
  // The site opts in to pseudonymized names (extends: preset; the preset drops them).
  for (const char* name : {"givenName", "familyName", "middleName"}) allowed["users"].insert(name);
  for (const char* stream :
       {"orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics"}) {
    INFO("stream " << stream);
    const auto table = CsvTable::load(site.export_dir() / (std::string(stream) + ".csv"));
    CHECK(count(spool, stream, "upsert") == table.rows().size());
    CHECK(count(spool, stream, "delete") == 0);
    const auto keys = texts(spool.of(stream), "sourcedId");
    CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == keys.size());
    std::set<std::string> expected;
    for (const auto& column : table.header()) {
      if (allowed.at(stream).count(column) > 0) expected.insert(column);
    }
    for (const auto* row : spool.of(stream)) {
      std::set<std::string> columns;
      for (const auto& field : row->fields) columns.insert(std::string(field.key()));
      CHECK(columns == expected);
    }
  }
  CHECK(spool.rows.size() ==
        count(spool, "orgs", "upsert") + count(spool, "academicSessions", "upsert") +
            count(spool, "courses", "upsert") + count(spool, "classes", "upsert") + kUsers +
            kUsers * kPerUser + kUsers);
  for (const auto* row : spool.of("users")) {
    for (const char* dropped : {"password", "phone", "sms", "userIds"}) {
      CHECK_FALSE(row->fields.contains(dropped));
    }
  }
  for (const auto* row : spool.of("demographics")) {
    for (const char* dropped : {"sex", "white", "asian", "cityOfBirth", "countryOfBirthCode"}) {
      CHECK_FALSE(row->fields.contains(dropped));
    }
  }

  // users: each token reveals to its row's values; e-mail hashed after lower-casing.
  std::map<std::string, std::string> user_token;  // plain sourcedId -> token
  {
    std::map<std::string, std::size_t> row_of;
    for (std::size_t i = 0; i < users.rows().size(); ++i) {
      row_of[users.rows()[i][users.column("sourcedId")]] = i;
    }
    for (const auto* row : spool.of("users")) {
      const std::string token = test::text_of(*row, "sourcedId");
      const std::string id = tokens.reveal("user", token);
      REQUIRE(row_of.count(id) == 1);
      const auto& source = users.rows()[row_of[id]];
      user_token[id] = token;
      CHECK(tokens.reveal("name", test::text_of(*row, "givenName")) ==
            source[users.column("givenName")]);
      CHECK(tokens.reveal("name", test::text_of(*row, "familyName")) ==
            source[users.column("familyName")]);
      CHECK(tokens.reveal("username", test::text_of(*row, "username")) ==
            lower(source[users.column("username")]));
      CHECK(test::text_of(*row, "email") ==
            tokens.hash("email", lower(source[users.column("email")])));
      CHECK(test::text_of(*row, "role") == source[users.column("role")]);
    }
    CHECK(user_token.size() == kUsers);
  }

  // enrollments.userSourcedId carries the same token as users.sourcedId for the same person.
  {
    std::map<std::string, std::string> user_of;  // plain enrollment id -> plain user id
    for (const auto& row : enrollments.rows()) {
      user_of[row[enrollments.column("sourcedId")]] = row[enrollments.column("userSourcedId")];
    }
    std::set<std::string> seen;
    for (const auto* row : spool.of("enrollments")) {
      const std::string id = tokens.reveal("enrollment", test::text_of(*row, "sourcedId"));
      REQUIRE(user_of.count(id) == 1);
      seen.insert(id);
      CHECK(test::text_of(*row, "userSourcedId") == user_token.at(user_of.at(id)));
    }
    CHECK(seen.size() == kUsers * kPerUser);
  }

  // demographics.sourcedId joins users; only the birth year is sent.
  {
    std::map<std::string, std::string> birth_year;
    for (const auto& row : demographics.rows()) {
      birth_year[row[demographics.column("sourcedId")]] =
          row[demographics.column("birthDate")].substr(0, 4);
    }
    for (const auto* row : spool.of("demographics")) {
      const std::string token = test::text_of(*row, "sourcedId");
      const std::string id = tokens.reveal("user", token);
      CHECK(user_token.at(id) == token);
      CHECK(test::text_of(*row, "birthDate") == birth_year.at(id));
    }
  }

  // The same export again: nothing new.
  const auto batches_before = spool.seqs.size();
  const auto second = site.ferry({"sync", "--no-upload"});
  printed += second.out + second.err;
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("nothing new since the last run") != std::string::npos);
  CHECK(test::count_batches(site.spool_db()) == batches_before);

  // One user renamed, one added (with two enrollments and demographics), one removed (with
  // their five enrollments and demographics).
  const std::size_t renamed = 9;   // u-00000010
  const std::size_t removed = 19;  // u-00000020
  const std::string renamed_id = users.rows()[renamed][users.column("sourcedId")];
  const std::string removed_id = users.rows()[removed][users.column("sourcedId")];
  const std::string added_id = "u-00009999";
  users.rows()[renamed][users.column("givenName")] = "Bartholomew-Renamed";
  {
    auto added = users.rows()[0];
    added[users.column("sourcedId")] = added_id;
    added[users.column("givenName")] = "Philomena-Added";
    added[users.column("familyName")] = "Testperson-09999, Sr.";
    added[users.column("username")] = "philomena.testperson09999";
    added[users.column("email")] = "Philomena.Testperson09999@example.invalid";
    added[users.column("identifier")] = "S0009999";
    added[users.column("userIds")] = "{LDAP:00009999}";
    added[users.column("password")] = "not-a-password-added";
    users.rows().push_back(std::move(added));
    auto birth = demographics.rows()[0];
    birth[demographics.column("sourcedId")] = added_id;
    birth[demographics.column("birthDate")] = "2013-02-28";
    demographics.rows().push_back(std::move(birth));
    for (const char* suffix : {"1", "2"}) {
      auto enrollment = enrollments.rows()[0];
      enrollment[enrollments.column("sourcedId")] = std::string("e-00009999-") + suffix;
      enrollment[enrollments.column("userSourcedId")] = added_id;
      enrollments.rows().push_back(std::move(enrollment));
    }
  }
  std::set<std::string> removed_enrollments;
  {
    auto is_removed = [&](const std::vector<std::string>& row, std::size_t column) {
      return row[column] == removed_id;
    };
    auto& rows = enrollments.rows();
    for (const auto& row : rows) {
      if (is_removed(row, enrollments.column("userSourcedId"))) {
        removed_enrollments.insert(row[enrollments.column("sourcedId")]);
      }
    }
    std::erase_if(rows, [&](const auto& row) {
      return is_removed(row, enrollments.column("userSourcedId"));
    });
    std::erase_if(users.rows(),
                  [&](const auto& row) { return is_removed(row, users.column("sourcedId")); });
    std::erase_if(demographics.rows(), [&](const auto& row) {
      return is_removed(row, demographics.column("sourcedId"));
    });
  }
  REQUIRE(removed_enrollments.size() == kPerUser);
  users.save(site.export_dir() / "users.csv");
  enrollments.save(site.export_dir() / "enrollments.csv");
  demographics.save(site.export_dir() / "demographics.csv");
  add_personal_values(users, demographics, personal);

  const auto third = site.ferry({"sync", "--no-upload"});
  printed += third.out + third.err;
  INFO("third sync stderr: " << third.err);
  REQUIRE(third.exit_code == 0);
  const auto after = test::read_spool(site.spool_db(), site.tenant().private_key);
  check_seqs(after, 1);
  const auto changes = batches_from(after, batches_before + 1);
  REQUIRE_FALSE(changes.seqs.empty());
  CHECK(changes.rows.size() == 2 + 1 + 2 + kPerUser + 1 + 1);

  CHECK(
      texts(changes.of("users", "upsert"), "sourcedId") ==
      std::multiset<std::string>{user_token.at(renamed_id), tokens.pseudonymize("user", added_id)});
  CHECK(texts(changes.of("users", "delete"), "sourcedId") ==
        std::multiset<std::string>{user_token.at(removed_id)});
  for (const auto* row : changes.of("users", "upsert")) {
    const std::string id = tokens.reveal("user", test::text_of(*row, "sourcedId"));
    CHECK(tokens.reveal("name", test::text_of(*row, "givenName")) ==
          (id == renamed_id ? "Bartholomew-Renamed" : "Philomena-Added"));
  }

  std::multiset<std::string> added_enrollments;
  for (const char* id : {"e-00009999-1", "e-00009999-2"}) {
    added_enrollments.insert(tokens.pseudonymize("enrollment", id));
  }
  CHECK(texts(changes.of("enrollments", "upsert"), "sourcedId") == added_enrollments);
  for (const auto* row : changes.of("enrollments", "upsert")) {
    CHECK(test::text_of(*row, "userSourcedId") == tokens.pseudonymize("user", added_id));
  }
  std::multiset<std::string> gone_enrollments;
  for (const auto& id : removed_enrollments) {
    gone_enrollments.insert(tokens.pseudonymize("enrollment", id));
  }
  CHECK(texts(changes.of("enrollments", "delete"), "sourcedId") == gone_enrollments);

  CHECK(texts(changes.of("demographics", "upsert"), "sourcedId") ==
        std::multiset<std::string>{tokens.pseudonymize("user", added_id)});
  CHECK(texts(changes.of("demographics", "delete"), "sourcedId") ==
        std::multiset<std::string>{user_token.at(removed_id)});
  for (const char* stream : {"orgs", "academicSessions", "courses", "classes"}) {
    CHECK(changes.of(stream).empty());
  }

  // And once more: nothing new.
  const auto fourth = site.ferry({"sync", "--no-upload"});
  printed += fourth.out + fourth.err;
  REQUIRE(fourth.exit_code == 0);
  CHECK(test::count_batches(site.spool_db()) == after.seqs.size());

  // Nothing personal in the clear: not on disk, not in the log, not in what ferry printed, not
  // even inside the decrypted batches (every personal column is a token, a year, or dropped).
  check_no_leak_in_files(site.data_dir(), site.log_file(), personal);
  CHECK(first_leak(printed, personal).empty());
  for (const auto& row : after.rows) {
    CHECK(first_leak(boost::json::serialize(row.fields), personal).empty());
  }
}

}  // namespace
}  // namespace ferry
