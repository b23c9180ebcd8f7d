// SftpClient against OpenSSH's sshd (sshd_server.hpp): listing and the newest match of a
// pattern, whole-file downloads with reads in flight (including reads the server shortens), and
// what a stalled or cut connection, a stop request and a file that changes do to a download:
// each fails with its reason and leaves no local file. Faults come from the project's TCP proxy
// between the client and sshd.
#include "connectors/sftp/sftp_client.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/connectors/sftp/sshd_server.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::connectors::sftp {
namespace {

using Catch::Matchers::Contains;
using test::SshdServer;
using test::TcpProxy;

std::string random_bytes(std::size_t size) {
  std::mt19937_64 generator(size);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(generator());
  return bytes;
}

void write_file(const std::filesystem::path& path, const std::string& content,
                std::filesystem::file_time_type when) {
  std::ofstream(path, std::ios::binary) << content;
  std::filesystem::last_write_time(path, when);
}

// A client logged in through `port` (sshd's, or a proxy's in front of it).
std::unique_ptr<SftpClient> client_for(SshdServer& server, std::uint16_t port,
                                       ReadOptions read = {}) {
  ConnectOptions options;
  options.endpoint = {.host = "127.0.0.1", .port = port, .user = SshdServer::kUser};
  options.pin.fingerprint = server.host_key_fingerprint();
  options.credentials.private_key_file = server.make_client_key("client", /*authorized=*/true);
  options.timeout = std::chrono::seconds(20);
  options.service_dir = server.dir().path();
  auto session = SshSession::open(options);
  REQUIRE(session.has_value());
  auto client = SftpClient::open(std::move(*session), options.endpoint, read);
  REQUIRE(client.has_value());
  return std::move(*client);
}

TEST_CASE("sftp lists a folder and finds the newest file a pattern matches") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const auto files = server.files();
  const auto now = std::filesystem::file_time_type::clock::now();
  write_file(files / "oneroster_2024-05-01.zip", "old", now - std::chrono::hours(48));
  write_file(files / "oneroster_2024-05-02.zip", "newest", now - std::chrono::hours(1));
  write_file(files / "oneroster_2024-04-30.zip", "older", now - std::chrono::hours(72));
  write_file(files / "readme.txt", "not an export", now);
  write_file(files / ".oneroster_partial.zip", "hidden upload", now);
  std::filesystem::create_directory(files / "oneroster_folder.zip");
  auto client = client_for(server, server.port());

  auto listed = client->list(files.string());
  REQUIRE(listed.has_value());
  CHECK(listed->size() == 5);  // regular files only: the folder is not listed

  auto matched = client->glob((files / "oneroster_*.zip").string());
  REQUIRE(matched.has_value());
  REQUIRE(matched->size() == 3);  // neither the dot file nor the folder
  CHECK((*matched)[0].path == (files / "oneroster_2024-05-02.zip").string());
  CHECK((*matched)[0].size == 6);
  CHECK((*matched)[1].path == (files / "oneroster_2024-05-01.zip").string());
  CHECK((*matched)[2].path == (files / "oneroster_2024-04-30.zip").string());

  auto none = client->glob((files / "clever_*.csv").string());
  REQUIRE(none.has_value());
  CHECK(none->empty());

  auto stated = client->stat((files / "readme.txt").string());
  REQUIRE(stated.has_value());
  REQUIRE(stated->has_value());
  CHECK((*stated)->size == 13);
  auto missing = client->stat((files / "nothing.csv").string());
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->has_value());
  auto folder = client->stat((files / "oneroster_folder.zip").string());
  REQUIRE_FALSE(folder.has_value());
  CHECK_THAT(folder.error().message, Contains("is not a file"));

  auto no_folder = client->list((files / "nowhere").string());
  REQUIRE_FALSE(no_folder.has_value());
  CHECK(no_folder.error().code == ErrorCode::kNotFound);
  CHECK_THAT(no_folder.error().message, Contains((files / "nowhere").string() + " does not exist"));
  auto wild_folder = client->glob((files / "rundate=*" / "students.csv").string());
  REQUIRE_FALSE(wild_folder.has_value());
  CHECK(wild_folder.error().code == ErrorCode::kConfig);
}

TEST_CASE("sftp downloads a whole file with reads in flight, also when the server shortens them") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const std::string content = random_bytes(3 * 1024 * 1024 + 12345);
  write_file(server.files() / "export.zip", content, std::filesystem::file_time_type::clock::now());
  test::TempDir local;

  // 256 KiB reads are above what OpenSSH's server sends in one reply (261,120 bytes): every read
  // comes back short and its rest is asked for again.
  const std::uint32_t chunk = GENERATE(32u * 1024, 256u * 1024);
  INFO("chunk " << chunk);
  auto client = client_for(server, server.port(), {.chunk_bytes = chunk, .in_flight = 8});
  auto file = client->stat((server.files() / "export.zip").string());
  REQUIRE(file.has_value());
  REQUIRE(file->has_value());
  const auto destination = local / "export.zip";
  auto got = client->download(**file, destination);
  REQUIRE(got.has_value());
  CHECK(*got == content.size());
  CHECK(test::read_file(destination) == content);
  CHECK((std::filesystem::status(destination).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK_FALSE(client->broken());

  // The destination must not exist: nothing is overwritten.
  auto again = client->download(**file, destination);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == ErrorCode::kIo);
  CHECK(test::read_file(destination) == content);
}

TEST_CASE(
    "a stalled or cut sftp connection or a stop request fails the download and keeps no part") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const std::string content = random_bytes(4 * 1024 * 1024);
  write_file(server.files() / "export.zip", content, std::filesystem::file_time_type::clock::now());
  TcpProxy proxy(server.port());
  test::TempDir local;
  const auto destination = local / "export.zip";
  auto client = client_for(server, proxy.port(),
                           {.read_timeout = std::chrono::milliseconds(1500), .in_flight = 8});
  auto file = client->stat((server.files() / "export.zip").string());
  REQUIRE(file.has_value());
  REQUIRE(file->has_value());

  SECTION("the server goes silent") {
    proxy.set_mode(TcpProxy::Mode::kBlackhole);
    auto got = client->download(**file, destination);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(got.error().message, Contains("no data for 1500 ms while reading " + (*file)->path));
  }
  SECTION("the connection is cut part way") {
    proxy.set_mode(TcpProxy::Mode::kCutAfterBytes, 1024 * 1024);
    auto got = client->download(**file, destination);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(got.error().message, Contains("reading " + (*file)->path + " failed after"));
  }
  SECTION("the caller asks to stop") {
    std::stop_source stop;
    stop.request_stop();
    auto got = client->download(**file, destination, stop.get_token());
    REQUIRE_FALSE(got.has_value());
    CHECK_THAT(got.error().message, Contains("reading " + (*file)->path + " was stopped"));
  }
  CHECK(client->broken());
  CHECK_FALSE(std::filesystem::exists(destination));
}

TEST_CASE("a file that changes on the server while it is read is not taken") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  const auto remote = server.files() / "students.csv";
  const auto then = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5);
  write_file(remote, random_bytes(200000), then);
  test::TempDir local;
  auto client = client_for(server, server.port(), {.in_flight = 4});
  auto file = client->stat(remote.string());
  REQUIRE(file.has_value());
  REQUIRE(file->has_value());

  SECTION("it grew: an upload still under way") {
    std::ofstream(remote, std::ios::binary | std::ios::app) << "more rows\n";
    auto got = client->download(**file, local / "students.csv");
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == ErrorCode::kConflict);
    CHECK_THAT(got.error().message,
               Contains(remote.string() + " changed while it was read (size 200000, now 200010)"));
  }
  SECTION("it shrank") {
    std::filesystem::resize_file(remote, 1000);
    auto got = client->download(**file, local / "students.csv");
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == ErrorCode::kConflict);
    CHECK_THAT(got.error().message, Contains(remote.string() + " ended at byte"));
  }
  CHECK_FALSE(std::filesystem::exists(local / "students.csv"));
}

}  // namespace
}  // namespace ferry::connectors::sftp
