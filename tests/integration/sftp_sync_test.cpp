// End to end with the real `ferry` and OpenSSH's sshd (tests/connectors/sftp/sshd_server.hpp): a
// OneRoster zip fetched over SFTP with a pinned host key is spooled row for row; a wrong pin
// fails `ferry sync` with the offered fingerprint and an audit entry, and spools nothing; an
// unpinned source is refused by every command but `ferry check`, which shows the server's key.
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

}  // namespace ferry
