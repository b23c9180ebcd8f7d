// End to end with the real `ferry` and OpenSSH's sshd (tests/connectors/sftp/sshd_server.hpp): a
// OneRoster zip fetched over SFTP with a pinned host key is spooled row for row; a wrong pin
// fails `ferry sync` with the offered fingerprint and an audit entry, and spools nothing; an
// unpinned source is refused by every command but `ferry check`, which shows the server's key.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/connectors/oneroster_csv/zip_writer.hpp"
#include "tests/connectors/sftp/sshd_server.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using test::SshdServer;

// The "remote" source: the newest oneroster_*.zip in the sshd's files folder.
std::string remote_source(const SshdServer& server, const fs::path& key,
                          const std::string& pin_line) {
  return "  - name: remote\n"
         "    type: oneroster_csv\n"
         "    preset: oneroster\n"
         "    sftp:\n"
         "      host: 127.0.0.1\n"
         "      port: " +
         std::to_string(server.port()) +
         "\n"
         "      user: " +
         SshdServer::kUser +
         "\n"
         "      private_key_file: " +
         key.string() + "\n" + pin_line +
         "      path: " + (server.files() / "oneroster_*.zip").string() +
         "\n"
         "      settle: 0s\n"
         "      timeout: 20s\n";
}

// The `sftp:` block of a source that reads `folder` of `server` with `key`, its host key pinned.
std::string sftp_block(const SshdServer& server, const fs::path& key, const fs::path& folder) {
  return "    sftp:\n      host: 127.0.0.1\n      port: " + std::to_string(server.port()) +
         "\n      user: " + SshdServer::kUser + "\n      private_key_file: " + key.string() +
         "\n      host_key: \"" + server.host_key_fingerprint() +
         "\"\n      path: " + folder.string() + "\n      settle: 0s\n";
}

// Zips the generated export (every file of `export_dir`) as the SIS would drop it.
void zip_export(const fs::path& export_dir, const fs::path& zip) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& entry : fs::directory_iterator(export_dir)) {
    entries.emplace_back(entry.path().filename().string(), test::read_file(entry.path()));
  }
  connectors::oneroster_csv::test::write_zip(zip, entries);
}

}  // namespace

TEST_CASE("ferry sync spools a OneRoster zip fetched over SFTP with a pinned host key") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const fs::path key = server.make_client_key("ferry", /*authorized=*/true);
  test::PipelineSite site(
      {},
      remote_source(server, key, "      host_key: \"" + server.host_key_fingerprint() + "\"\n"));
  REQUIRE(site.generate({"--users", "40", "--seed", "16"}).exit_code == 0);
  zip_export(site.export_dir(), server.files() / "oneroster_2024-05-02.zip");
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);

  const auto checked = site.ferry({"check"});
  INFO(checked.out << checked.err);
  CHECK_THAT(checked.out, Contains("OK    source remote"));

  const auto synced = site.ferry({"sync", "--source", "remote"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  test::check_each_row_once(spool, site.export_dir());
  // The download is gone once the run ended.
  const fs::path download = site.data_dir() / "scratch" / "remote" / "download";
  CHECK((!fs::exists(download) || fs::is_empty(download)));

  // The same export again: nothing new, nothing downloaded (the state says so).
  const auto state = test::stored_source_state(site.spool_db(), "remote");
  REQUIRE(state.has_value());
  CHECK_THAT(*state, Contains("\"remote\""));
  const auto again = site.ferry({"sync", "--source", "remote"});
  REQUIRE(again.exit_code == 0);
  CHECK(test::count_batches(site.spool_db()) == spool.seqs.size());
  CHECK(test::stored_source_state(site.spool_db(), "remote") == state);
}

TEST_CASE("ferry refuses an SFTP server whose host key is not the pinned one") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const fs::path key = server.make_client_key("ferry", /*authorized=*/true);
  const std::string wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  test::PipelineSite site({}, remote_source(server, key, "      host_key: \"" + wrong + "\"\n"));
  REQUIRE(site.generate({"--users", "5", "--seed", "17"}).exit_code == 0);
  zip_export(site.export_dir(), server.files() / "oneroster_2024-05-02.zip");
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);

  const auto synced = site.ferry({"sync", "--source", "remote"});
  INFO(synced.out << synced.err);
  CHECK(synced.exit_code == 1);
  CHECK_THAT(synced.out + synced.err,
             Contains("offered host key ssh-ed25519 " + server.host_key_fingerprint()) &&
                 Contains("not the pinned " + wrong));
  CHECK(test::count_batches(site.spool_db()) == 0);
  const std::string audit = test::read_file(site.data_dir() / "audit.log");
  CHECK_THAT(audit, Contains("\"event\":\"sftp_host_key_refused\"") &&
                        Contains(server.host_key_fingerprint()) &&
                        Contains("\"source\":\"remote\""));
}

TEST_CASE("an unpinned SFTP source is refused, and ferry check shows the key to pin") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const fs::path key = server.make_client_key("ferry", /*authorized=*/true);
  test::PipelineSite site({}, remote_source(server, key, ""));
  REQUIRE(site.generate({"--users", "5", "--seed", "18"}).exit_code == 0);
  // Refused like every other command but check.
  CHECK(site.ferry({"keys", "init"}).exit_code == 2);

  const auto validated = site.ferry({"validate"});
  CHECK(validated.exit_code == 2);
  CHECK_THAT(validated.err, Contains("needs host_key: \"SHA256:...\" or known_hosts: FILE"));
  const auto synced = site.ferry({"sync", "--source", "remote"});
  CHECK(synced.exit_code == 2);

  const auto checked = site.ferry({"check"});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 1);
  CHECK_THAT(checked.out, Contains("FAIL  source remote") &&
                              Contains("set host_key: \"" + server.host_key_fingerprint() + "\""));
  // Nothing about the user was offered to the server.
  CHECK_THAT(server.log(), !Contains("userauth-request"));
}

TEST_CASE("ferry sync spools a Clever-style CSV set fetched over SFTP") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const fs::path key = server.make_client_key("ferry", /*authorized=*/true);
  const fs::path folder = server.files() / "clever";
  fs::create_directories(folder);
  // Synthetic rows in Clever's layout (no real people); students in Windows-1252.
  std::ofstream(folder / "schools.csv")
      << "School_id,School_name\r\ns1,North High\r\ns2,South High\r\n";
  std::ofstream(folder / "students.csv", std::ios::binary)
      << "School_id,Student_id,First_name,Grade\r\ns1,100,Zo\xEB,9\r\ns1,101,Ann,10\r\ns2,102,Bo,"
         "11\r\n";
  std::ofstream(folder / "teachers.csv")
      << "School_id,Teacher_id,Teacher_email\r\ns1,t1,t1@example.org\r\n";
  const std::string clever =
      "  - name: clever\n"
      "    type: csv\n"
      "    encoding: windows-1252\n" +
      sftp_block(server, key, folder) +
      "    streams:\n"
      "      schools: {key: School_id, default: keep}\n"
      "      students:\n"
      "        key: Student_id\n"
      "        fields:\n"
      "          Student_id: {transform: pseudonymize, domain: user}\n"
      "          First_name: {transform: pseudonymize, domain: name}\n"
      "          Grade: keep\n"
      "      teachers:\n"
      "        key: Teacher_id\n"
      "        fields:\n"
      "          Teacher_id: {transform: pseudonymize, domain: user}\n"
      "          Teacher_email: {transform: hash, domain: email, normalize: lower}\n";
  test::PipelineSite site({}, clever);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);

  const auto synced = site.ferry({"sync", "--source", "clever"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  CHECK(spool.of("schools").size() == 2);
  CHECK(spool.of("teachers").size() == 1);
  const auto students = spool.of("students");
  REQUIRE(students.size() == 3);
  const auto made = site.ferry({"pseudonymize", "--domain", "name", "Zo\u00EB"});
  REQUIRE(made.exit_code == 0);
  const std::string zoe = made.out.substr(0, made.out.find('\n'));
  CHECK(std::count_if(students.begin(), students.end(), [&](const test::SpooledRow* row) {
          return test::text_of(*row, "First_name") == zoe;
        }) == 1);
  for (const auto* row : students) CHECK_FALSE(row->fields.contains("School_id"));
}

TEST_CASE("ferry sync reads Clever files over SFTP with preset: clever and deletes by both keys") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const fs::path key = server.make_client_key("ferry", /*authorized=*/true);
  const fs::path folder = server.files() / "clever";
  fs::create_directories(folder);
  // Synthetic rows in Clever's layout (no real people).
  std::ofstream(folder / "schools.csv") << "School_id,School_name,Principal\ns1,North High,P\n";
  std::ofstream(folder / "students.csv")
      << "School_id,Student_id,First_name,Last_name,Dob,Grade,Password\n"
         "s1,100,Ann,Ash,04/17/2011,9,pw1\ns1,101,Ben,Birch,11/02/2010,10,pw2\n";
  std::ofstream(folder / "teachers.csv")
      << "School_id,Teacher_id,Teacher_email,Password\ns1,t1,T1@Example.org,pw3\n";
  std::ofstream(folder / "sections.csv") << "School_id,Section_id,Teacher_id,Name\ns1,7,t1,Math\n";
  std::string enrollments = "School_id,Section_id,Student_id\n";
  for (const char* section : {"7", "8", "9"}) {
    for (const char* student : {"100", "101"}) {
      enrollments += std::string("s1,") + section + "," + student + "\n";
    }
  }
  std::ofstream(folder / "enrollments.csv") << enrollments;
  const std::string clever =
      "  - name: clever\n"
      "    type: csv\n"
      "    preset: clever\n"
      "    mass_delete_percent: 20\n" +
      sftp_block(server, key, folder);
  test::PipelineSite site({}, clever);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);

  auto synced = site.ferry({"sync", "--source", "clever"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  CHECK(spool.of("schools").size() == 1);
  CHECK(spool.of("sections").size() == 1);
  CHECK(spool.of("enrollments").size() == 6);
  const auto students = spool.of("students");
  REQUIRE(students.size() == 2);
  for (const auto* row : students) {
    CHECK(test::text_of(*row, "Student_id").starts_with("p1."));
    CHECK(row->fields.at("Dob").as_string().size() == 4);  // the year only
    CHECK_FALSE(row->fields.contains("First_name"));
    CHECK_FALSE(row->fields.contains("Password"));
  }

  // One enrollment leaves the export: a delete that carries both key columns.
  enrollments.erase(enrollments.rfind("s1,9,101\n"));
  std::ofstream(folder / "enrollments.csv", std::ios::trunc) << enrollments;
  synced = site.ferry({"sync", "--source", "clever"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  const auto deletes = spool.of("enrollments", "delete");
  REQUIRE(deletes.size() == 1);
  CHECK(test::text_of(*deletes[0], "Section_id") == "9");
  const auto made = site.ferry({"pseudonymize", "--domain", "user", "101"});
  REQUIRE(made.exit_code == 0);
  CHECK(test::text_of(*deletes[0], "Student_id") == made.out.substr(0, made.out.find('\n')));
  CHECK(spool.of("enrollments", "upsert").size() == 6);  // nothing else was sent again
}

TEST_CASE("a csv option with a value it does not take is a configuration error") {
  test::PipelineSite site({},
                          "  - {name: clever, type: csv, path: /srv/clever, encoding: latin1, "
                          "streams: {students: {key: id}}}\n");
  const auto validated = site.ferry({"validate"});
  CHECK(validated.exit_code == 2);
  CHECK_THAT(validated.err,
             Contains("'encoding' in source 'clever' must be utf-8 or windows-1252"));

  test::PipelineSite colon({},
                           "  - {name: clever, type: csv, path: /srv/clever, delimiter: ':', "
                           "streams: {students: {key: id}}}\n");
  const auto refused = colon.ferry({"validate"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Contains("'delimiter' in source 'clever' must be"));
}

}  // namespace ferry
