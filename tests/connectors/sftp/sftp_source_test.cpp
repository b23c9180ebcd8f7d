// A oneroster_csv source whose export is fetched over SFTP (SftpSource around OneRosterSource),
// against OpenSSH's sshd (sshd_server.hpp): a zip the newest a glob matches and a folder export
// are read; the same export again is not downloaded (bytes counted by the project's TCP proxy);
// a file still being written is skipped until it settles; a wrong or missing pin is refused with
// the offered fingerprint, before authenticating, and audited; a connection cut mid-download
// fails the run with nothing handed over, and the next run reads every row once.
#include "connectors/sftp/sftp_source.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/config/settings.hpp"
#include "connectors/csv/csv.hpp"
#include "connectors/oneroster_csv/oneroster_csv.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/connectors/oneroster_csv/zip_writer.hpp"
#include "tests/connectors/sftp/sshd_server.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::connectors::sftp {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using oneroster_csv::test::CollectingSink;
using test::SshdServer;
using test::TcpProxy;

constexpr const char* kManifest =
    "propertyName,value\n"
    "manifest.version,1.0\n"
    "oneroster.version,1.1\n"
    "file.users,bulk\n";

// A users.csv of `rows` synthetic users (no real people), ids u1..uN.
std::string users_csv(std::size_t rows, const std::string& tag = "") {
  std::string text = "sourcedId,status,dateLastModified,enabledUser,username,givenName,role\n";
  for (std::size_t i = 1; i <= rows; ++i) {
    text += "u" + std::to_string(i) + ",active,2024-05-01T00:00:00Z,true,user" + std::to_string(i) +
            tag + ",Given" + std::to_string(i) + ",student\n";
  }
  return text;
}

void set_age(const fs::path& path, std::chrono::seconds age) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - age);
}

void write_zip_export(const fs::path& zip, std::size_t rows, std::chrono::seconds age,
                      const std::string& tag = "") {
  oneroster_csv::test::write_zip(
      zip, {{"manifest.csv", kManifest}, {"users.csv", users_csv(rows, tag)}});
  set_age(zip, age);
}

struct Fixture {
  SshdServer server;
  test::TempDir local;
  test::FakeClock clock{std::chrono::system_clock::now()};
  std::vector<std::pair<std::string, AuditFields>> audited;
  fs::path client_key;  // made once, by the first settings()

  config::SourceSettings settings(std::uint16_t port, const std::string& path) {
    config::SourceSettings source;
    source.name = "sis";
    source.type = "oneroster_csv";
    config::SftpSettings sftp;
    sftp.host = "127.0.0.1";
    sftp.port = port;
    sftp.user = SshdServer::kUser;
    if (client_key.empty()) client_key = server.make_client_key("client", /*authorized=*/true);
    sftp.private_key_file = client_key;
    sftp.host_key = server.host_key_fingerprint();
    sftp.path = path;
    sftp.timeout = std::chrono::seconds(20);
    sftp.service_dir = server.dir().path();
    source.sftp = std::move(sftp);
    return source;
  }

  SourceContext context() {
    SourceContext context;
    context.clock = &clock;
    context.scratch_dir = local / "scratch";
    fs::create_directories(context.scratch_dir);
    context.audit = [this](std::string_view event, const AuditFields& fields) {
      audited.emplace_back(std::string(event), fields);
    };
    return context;
  }

  std::unique_ptr<Source> source(const config::SourceSettings& settings) {
    auto made = oneroster_csv::create(settings, context());
    REQUIRE(made.has_value());
    return std::move(*made);
  }
};

std::size_t user_rows(const CollectingSink& sink) {
  for (const auto& stream : sink.streams) {
    if (stream.info.name == "users" && stream.ended) return stream.rows.size();
  }
  return 0;
}

std::string field(const AuditFields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return "<absent>";
}

}  // namespace

TEST_CASE("an sftp oneroster_csv source reads the newest zip a glob matches") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path files = fixture.server.files();
  write_zip_export(files / "oneroster_2024-05-01.zip", 3, std::chrono::hours(48));
  write_zip_export(files / "oneroster_2024-05-02.zip", 5, std::chrono::hours(2));
  auto source =
      fixture.source(fixture.settings(fixture.server.port(), (files / "oneroster_*.zip").string()));

  CollectingSink sink;
  auto state = source->read({}, sink, {});
  REQUIRE(state.has_value());
  CHECK(user_rows(sink) == 5);
  const auto parts = SftpSource::parse_state(*state);
  CHECK(parts.remote.size() == 64);
  CHECK_THAT(parts.inner, Contains("fingerprint"));
  // The download is gone once the run is over.
  CHECK_FALSE(fs::exists(fixture.local / "scratch" / "download"));
}

TEST_CASE("an unchanged sftp export is not downloaded again") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path files = fixture.server.files();
  // About 1.5 MB of users, zipped: a download is far more than a login and a listing.
  write_zip_export(files / "oneroster.zip", 20000, std::chrono::hours(2));
  const auto zip_size = fs::file_size(files / "oneroster.zip");
  TcpProxy proxy(fixture.server.port());
  auto source = fixture.source(fixture.settings(proxy.port(), (files / "oneroster.zip").string()));

  CollectingSink first;
  auto state = source->read({}, first, {});
  REQUIRE(state.has_value());
  CHECK(user_rows(first) == 20000);
  const std::uint64_t first_bytes = proxy.bytes_forwarded();
  CHECK(first_bytes > zip_size);

  CollectingSink second;
  auto again = source->read({.source = *state, .streams = {}}, second, {});
  REQUIRE(again.has_value());
  CHECK(*again == *state);
  CHECK(second.calls == 0);
  const std::uint64_t second_bytes = proxy.bytes_forwarded() - first_bytes;
  CHECK(second_bytes < zip_size / 4);

  // A new export (another size and time) is downloaded and read.
  write_zip_export(files / "oneroster.zip", 20001, std::chrono::hours(1), "b");
  CollectingSink third;
  auto changed = source->read({.source = *state, .streams = {}}, third, {});
  REQUIRE(changed.has_value());
  CHECK(*changed != *state);
  CHECK(user_rows(third) == 20001);
}

TEST_CASE("an sftp folder export is read from its csv files") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path folder = fixture.server.files() / "export";
  fs::create_directory(folder);
  std::ofstream(folder / "manifest.csv") << kManifest;
  std::ofstream(folder / "users.csv") << users_csv(4);
  std::ofstream(folder / "notes.txt") << "not part of the export";
  for (const auto& entry : fs::directory_iterator(folder))
    set_age(entry.path(), std::chrono::hours(1));
  auto source = fixture.source(fixture.settings(fixture.server.port(), folder.string()));

  auto streams = source->streams();
  REQUIRE(streams.has_value());
  REQUIRE(streams->size() == 1);
  CHECK((*streams)[0].name == "users");

  CollectingSink sink;
  auto state = source->read({}, sink, {});
  REQUIRE(state.has_value());
  CHECK(user_rows(sink) == 4);
  CHECK(source->check().has_value());
}

TEST_CASE("an sftp export still being written is read only once it settled") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path zip = fixture.server.files() / "oneroster.zip";
  write_zip_export(zip, 3, std::chrono::seconds(0));
  auto settings = fixture.settings(fixture.server.port(), zip.string());
  settings.sftp->settle = std::chrono::seconds(30);
  auto source = fixture.source(settings);

  CollectingSink early;
  auto state = source->read({}, early, {});
  REQUIRE_FALSE(state.has_value());
  CHECK(state.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(state.error().message, Contains("may still be being written") && Contains("30s"));
  CHECK(early.calls == 0);

  // It grew meanwhile: the settle time starts again.
  write_zip_export(zip, 4, std::chrono::seconds(0));
  fixture.clock.advance(std::chrono::seconds(20));
  CollectingSink growing;
  REQUIRE_FALSE(source->read({}, growing, {}).has_value());
  CHECK(growing.calls == 0);

  // Unchanged for the settle time.
  fixture.clock.advance(std::chrono::seconds(31));
  CollectingSink settled;
  auto read = source->read({}, settled, {});
  REQUIRE(read.has_value());
  CHECK(user_rows(settled) == 4);
}

TEST_CASE("an sftp server with another host key is refused before login and audited") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path zip = fixture.server.files() / "oneroster.zip";
  write_zip_export(zip, 3, std::chrono::hours(1));
  auto settings = fixture.settings(fixture.server.port(), zip.string());
  settings.sftp->host_key = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  auto source = fixture.source(settings);

  CollectingSink sink;
  auto state = source->read({}, sink, {});
  REQUIRE_FALSE(state.has_value());
  CHECK(state.error().code == ErrorCode::kAuth);
  CHECK_THAT(state.error().message,
             Contains(fixture.server.host_key_fingerprint()) && Contains("host_key: \""));
  CHECK(sink.calls == 0);
  // That nothing about the user reaches the server is ssh_session_test's (sshd's log).
  REQUIRE(fixture.audited.size() == 1);
  CHECK(fixture.audited[0].first == "sftp_host_key_refused");
  CHECK(field(fixture.audited[0].second, "offered_fingerprint") ==
        fixture.server.host_key_fingerprint());
  CHECK(field(fixture.audited[0].second, "pinned") ==
        "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

TEST_CASE("an sftp source without a pin fails its check with the key the server offers") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  auto settings = fixture.settings(fixture.server.port(), fixture.server.files().string());
  settings.sftp->host_key.clear();
  auto source = fixture.source(settings);

  auto checked = source->check();
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().code == ErrorCode::kConfig);
  CHECK_THAT(checked.error().message,
             Contains("host_key: \"" + fixture.server.host_key_fingerprint() + "\"") &&
                 Contains("never trusts a key on first use"));
}

TEST_CASE("an sftp download cut midway hands over nothing and the next run reads every row once") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path zip = fixture.server.files() / "oneroster.zip";
  write_zip_export(zip, 20000, std::chrono::hours(1));
  TcpProxy proxy(fixture.server.port());
  auto source = fixture.source(fixture.settings(proxy.port(), zip.string()));

  // Past the login and the listing, well before the end of the zip.
  proxy.set_mode(TcpProxy::Mode::kCutAfterBytes, fs::file_size(zip) / 2);
  CollectingSink cut;
  auto failed = source->read({}, cut, {});
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == ErrorCode::kUnavailable);
  CHECK(cut.calls == 0);
  CHECK_FALSE(fs::exists(fixture.local / "scratch" / "download"));

  proxy.set_mode(TcpProxy::Mode::kForward);
  CollectingSink retried;
  auto state = source->read({}, retried, {});
  REQUIRE(state.has_value());
  REQUIRE(user_rows(retried) == 20000);
  std::set<std::string> ids;
  for (const auto& row : retried.streams.front().rows) ids.insert(row.front());
  CHECK(ids.size() == 20000);
}

TEST_CASE("an sftp path that matches nothing fails the run and the check with what to do") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path files = fixture.server.files();
  std::ofstream(files / "readme.txt") << "not an export";
  struct Case {
    std::string path;
    std::string says;
  };
  for (const Case& c : {Case{(files / "oneroster_*.zip").string(), "no file matches"},
                        Case{(files / "missing.zip").string(), "does not exist on the server"},
                        Case{files.string(), "holds no .csv file"}}) {
    INFO(c.path);
    auto source = fixture.source(fixture.settings(fixture.server.port(), c.path));
    auto checked = source->check();
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().code == ErrorCode::kNotFound);
    CHECK_THAT(checked.error().message, Contains(c.says) && Contains("check path"));
    CollectingSink sink;
    auto read = source->read({}, sink, {});
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().message == checked.error().message);
    CHECK(sink.calls == 0);
  }
}

TEST_CASE("an sftp csv source fetches the newest dated folder and the streams' subfolders") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  Fixture fixture;
  const fs::path root = fixture.server.files() / "sis";
  // Two days of a SIS extract (synthetic rows): only the newer is fetched and read.
  for (const auto& [day, rows] :
       {std::pair{"rundate=2024-05-01", 1}, std::pair{"rundate=2024-05-02", 2}}) {
    fs::create_directories(root / day / "students");
    for (int part = 1; part <= 2; ++part) {
      std::string text = "student_id,grade\n";
      for (int i = 0; i < rows; ++i) text += fmt::format("{}-{},9\n", part, i);
      std::ofstream(root / day / "students" / fmt::format("part{}.csv", part)) << text;
    }
    std::ofstream(root / day / "schools.txt") << "school_id,name\ns1,North\n";
    std::ofstream(root / day / "unused.csv") << "x\n1\n";
  }
  fs::create_directories(root / "archive");  // matches no pattern: not fetched
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    set_age(entry.path(), std::chrono::hours(1));
  }
  config::SourceSettings settings = fixture.settings(fixture.server.port(), root.string());
  settings.type = "csv";
  settings.options["folders"].value = std::string("rundate=*");
  config::StreamSettings students;
  students.name = "students";
  students.key = "student_id";
  students.options["file"].value = std::string("students/part*.csv");
  config::StreamSettings schools;
  schools.name = "schools";
  schools.key = "school_id";
  schools.options["file"].value = std::string("schools.txt");
  settings.streams = {students, schools};
  auto made = csv::create(settings, fixture.context());
  REQUIRE(made.has_value());

  CollectingSink sink;
  REQUIRE((*made)->read({}, sink, {}).has_value());
  for (const auto& failure : sink.failures) UNSCOPED_INFO(failure.second.message);
  CHECK(sink.failures.empty());
  REQUIRE(sink.streams.size() == 2);
  CHECK(sink.streams[0].info.name == "students");
  CHECK(sink.streams[0].rows.size() == 4);  // two parts of two rows: the newer day
  CHECK(sink.streams[1].rows.size() == 1);

  // A folders pattern that matches nothing says so.
  settings.options["folders"].value = std::string("day=*");
  made = csv::create(settings, fixture.context());
  REQUIRE(made.has_value());
  CollectingSink none;
  auto read = (*made)->read({}, none, {});
  REQUIRE_FALSE(read.has_value());
  CHECK_THAT(read.error().message,
             Contains("no folder in " + root.string() + " matches folders: day=*"));
}

}  // namespace ferry::connectors::sftp
