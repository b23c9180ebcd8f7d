// The test database servers themselves (db_server.hpp), which the SQL connector's tests stand on:
// each starts, runs the administrator's SQL, lets the reader in over TCP by password and for
// reading only, stops and starts again with its data, drops its sessions on request, and never
// outlives its test.
#include "tests/connectors/sql/db_server.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/netfault/wait_until.hpp"
#include "tests/support/skip.hpp"

namespace ferry::test {
namespace {

using Catch::Matchers::Contains;
using Kind = DbServer::Kind;
using namespace std::chrono_literals;

bool tcp_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// A listener on 127.0.0.1:port, as another program would hold it.
int listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  return fd;
}

// The reader's sessions the server has now.
std::string reader_sessions(const DbServer& server) {
  return server.kind() == Kind::kPostgres
             ? server.admin_sql(
                   "SELECT count(*) FROM pg_stat_activity WHERE usename = 'ferry_reader'")
             : server.admin_sql(
                   "SELECT count(*) FROM information_schema.processlist WHERE user = "
                   "'ferry_reader'",
                   "");
}

void check_admin_sql(Kind kind) {
  DbServer server(kind);
  CHECK(server.port() > 0);
  CHECK(tcp_accepts(server.port()));
  CHECK(server.connection_string() ==
        std::string("Driver=") +
            (kind == Kind::kPostgres ? "PostgreSQL Unicode" : "MariaDB Unicode") +
            ";Server=127.0.0.1;Port=" + std::to_string(server.port()) +
            ";Database=ferry_test;Uid=ferry_reader");

  // Several statements in one call; every result is printed, tab separated, NULL as "NULL".
  CHECK(server.admin_sql("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), note TEXT);"
                         "INSERT INTO people VALUES (1, 'Zoë Ångström 日本', NULL), (2, 'Bo', '');"
                         "SELECT id, name, note FROM people ORDER BY id;"
                         "SELECT 'done';") == "1\tZoë Ångström 日本\tNULL\n2\tBo\t\ndone");
  // The database is UTF-8 through and through: four-byte characters too.
  server.admin_sql("INSERT INTO people VALUES (3, '🦀', NULL)");
  CHECK(server.admin_sql("SELECT name FROM people WHERE id = 3") == "🦀");
  if (kind == Kind::kPostgres) {
    CHECK(server.admin_sql("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = "
                           "'ferry_test'") == "UTF8");
  } else {
    CHECK(server.admin_sql("SELECT table_collation FROM information_schema.tables WHERE "
                           "table_schema = 'ferry_test' AND table_name = 'people'") ==
          "utf8mb4_unicode_ci");
  }

  try {
    server.admin_sql("SELECT * FROM no_such_table");
    FAIL("a failing statement did not throw");
  } catch (const std::runtime_error& error) {
    CHECK_THAT(error.what(), Contains("no_such_table"));
  }
  // A failing statement stops the rest.
  CHECK_THROWS(
      server.admin_sql("SELECT * FROM no_such_table; INSERT INTO people VALUES (4, 'x', "
                       "NULL);"));
  CHECK(server.admin_sql("SELECT count(*) FROM people") == "3");
}

void check_reader(Kind kind) {
  DbServer server(kind);
  // Made after the server started, so after the template's grants: PostgreSQL's default
  // privileges cover it.
  server.admin_sql(
      "CREATE TABLE grades (student VARCHAR(20), grade INT);"
      "INSERT INTO grades VALUES ('ana', 90), ('ben', NULL);");

  const auto read = server.reader_sql("SELECT student, grade FROM grades ORDER BY student");
  INFO(read.err);
  CHECK(read.exit_code == 0);
  CHECK(read.out == "ana\t90\nben\tNULL\n");
  const auto who =
      server.reader_sql(kind == Kind::kPostgres ? "SELECT current_user" : "SELECT current_user()");
  CHECK(who.out == (kind == Kind::kPostgres ? "ferry_reader\n" : "ferry_reader@127.0.0.1\n"));

  const auto insert = server.reader_sql("INSERT INTO grades VALUES ('cat', 70)");
  CHECK(insert.exit_code != 0);
  CHECK_THAT(insert.err, Contains(kind == Kind::kPostgres ? "permission denied for table grades"
                                                          : "INSERT command denied"));
  CHECK(server.reader_sql("CREATE TABLE mine (a INT)").exit_code != 0);
  CHECK(server.admin_sql("SELECT count(*) FROM grades") == "2");

  const auto wrong = server.reader_sql("SELECT 1", "not-the-password");
  CHECK(wrong.exit_code != 0);
  CHECK_THAT(wrong.err, Contains(kind == Kind::kPostgres ? "password authentication failed"
                                                         : "Access denied"));
  CHECK(server.reader_sql("SELECT 1", "").exit_code != 0);
}

void check_stop_start(Kind kind) {
  DbServer server(kind);
  const auto port = server.port();
  server.admin_sql("CREATE TABLE kept (a INT); INSERT INTO kept VALUES (7);");

  server.stop();
  CHECK_FALSE(tcp_accepts(port));
  const auto refused = server.reader_sql("SELECT a FROM kept");
  CHECK(refused.exit_code != 0);
  CHECK_THROWS(server.admin_sql("SELECT 1"));
  server.stop();  // stopping a stopped server does nothing

  // Another program takes the port meanwhile: start() says so, without waiting out its deadline.
  const int squatter = listen_on(port);
  CHECK_THROWS_WITH(server.start(), Contains("another process took it"));
  ::close(squatter);

  server.start();
  CHECK(server.port() == port);
  CHECK(server.admin_sql("SELECT a FROM kept") == "7");
  CHECK(server.reader_sql("SELECT a FROM kept").out == "7\n");
  CHECK_THROWS_AS(server.start(), std::logic_error);
}

void check_kill_connections(Kind kind) {
  DbServer server(kind);
  // A reader's session busy for a minute, unless the server ends it.
  ProcessResult sleeper;
  const auto began = std::chrono::steady_clock::now();
  std::thread client([&] {
    sleeper =
        server.reader_sql(kind == Kind::kPostgres ? "SELECT pg_sleep(60)" : "SELECT SLEEP(60)");
  });
  const bool connected = wait_until([&] { return reader_sessions(server) == "1"; }, 20s, 20ms);
  if (connected) server.kill_connections();
  client.join();
  REQUIRE(connected);
  CHECK(std::chrono::steady_clock::now() - began < 30s);
  INFO(sleeper.out << sleeper.err);
  // psql exits with 2 when the connection to the server is lost; MariaDB's client with 1
  // ("Lost connection to server during query", or SLEEP() returning 1 when killed mid-query).
  if (kind == Kind::kPostgres) {
    CHECK(sleeper.exit_code == 2);
    CHECK_THAT(sleeper.err, Contains("terminat"));
  } else {
    CHECK((sleeper.exit_code != 0 || sleeper.out == "1\n"));
  }
  CHECK(reader_sessions(server) == "0");

  // The server goes on: the reader logs in again.
  CHECK(server.reader_sql("SELECT 1").out == "1\n");
}

void check_destructor(Kind kind) {
  std::filesystem::path folder;
  std::uint16_t port = 0;
  {
    DbServer server(kind);
    folder = server.folder();
    port = server.port();
    CHECK(std::filesystem::exists(folder / "data"));
  }
  CHECK_FALSE(tcp_accepts(port));
  CHECK_FALSE(std::filesystem::exists(folder));
}

// A test process killed outright (SIGKILL: no destructor runs) takes its server with it. The
// "test process" here is a child of this one, which starts a server, reports its port and folder,
// and kills itself.
void check_dies_with_test(Kind kind) {
  int report[2];
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    try {
      DbServer server(kind);
      const std::string line =
          std::to_string(server.port()) + " " + server.folder().string() + "\n";
      (void)!::write(report[1], line.data(), line.size());
    } catch (const std::exception& error) {
      const std::string line = std::string("error ") + error.what() + "\n";
      (void)!::write(report[1], line.data(), line.size());
      ::_exit(1);
    }
    ::kill(::getpid(), SIGKILL);  // from inside the scope: the server's destructor never runs
    ::_exit(1);
  }
  ::close(report[1]);
  std::string reported;
  char buffer[512];
  for (ssize_t got; (got = ::read(report[0], buffer, sizeof buffer)) > 0;) {
    reported.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  INFO("the child reported: " << reported);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  const auto space = reported.find(' ');
  REQUIRE(space != std::string::npos);
  const auto port = static_cast<std::uint16_t>(std::stoi(reported.substr(0, space)));
  const std::filesystem::path folder = reported.substr(space + 1, reported.size() - space - 2);
  CHECK(wait_until([&] { return !tcp_accepts(port); }, 20s, 10ms));
  // The child's temporary folder is left behind, as a killed test's is; remove it.
  REQUIRE(folder.filename().string().rfind("ferry-test-", 0) == 0);
  std::filesystem::remove_all(folder);
}

}  // namespace

TEST_CASE("PostgreSQL: a fresh server runs the administrator's SQL in UTF-8") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  check_admin_sql(Kind::kPostgres);
}

TEST_CASE("MariaDB: a fresh server runs the administrator's SQL in UTF-8") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  check_admin_sql(Kind::kMariadb);
}

TEST_CASE("PostgreSQL: the reader logs in over TCP with its password and may only read") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  check_reader(Kind::kPostgres);
}

TEST_CASE("MariaDB: the reader logs in over TCP with its password and may only read") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  check_reader(Kind::kMariadb);
}

TEST_CASE("PostgreSQL: a stopped server starts again on its port with its data") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  check_stop_start(Kind::kPostgres);
}

TEST_CASE("MariaDB: a stopped server starts again on its port with its data") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  check_stop_start(Kind::kMariadb);
}

TEST_CASE("PostgreSQL: kill_connections ends the reader's session and the server goes on") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  check_kill_connections(Kind::kPostgres);
}

TEST_CASE("MariaDB: kill_connections ends the reader's session and the server goes on") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  check_kill_connections(Kind::kMariadb);
}

TEST_CASE("PostgreSQL: the destructor stops the server and removes its folder") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  check_destructor(Kind::kPostgres);
}

TEST_CASE("MariaDB: the destructor stops the server and removes its folder") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  check_destructor(Kind::kMariadb);
}

TEST_CASE("PostgreSQL: a server dies with the test process that started it") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  check_dies_with_test(Kind::kPostgres);
}

TEST_CASE("MariaDB: a server dies with the test process that started it") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  check_dies_with_test(Kind::kMariadb);
}

TEST_CASE("PostgreSQL: a template made from another recipe is removed") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  // What an older server binary or other options would have left: a template, its lock and a
  // half-made copy, all under another hash.
  const std::filesystem::path cache = DbServer::template_cache();
  const auto stale = cache / "postgres-00000000stale000";
  std::filesystem::create_directories(stale / "base");
  std::ofstream(stale / "PG_VERSION") << "15\n";
  std::ofstream(cache / "postgres-00000000stale000.lock");
  std::filesystem::create_directories(cache / "postgres-00000000stale001.partial");

  DbServer server(Kind::kPostgres);
  CHECK_FALSE(std::filesystem::exists(stale));
  CHECK_FALSE(std::filesystem::exists(cache / "postgres-00000000stale000.lock"));
  CHECK_FALSE(std::filesystem::exists(cache / "postgres-00000000stale001.partial"));
  // The template in use is still there, and serves.
  CHECK(server.admin_sql("SELECT 1") == "1");
}

}  // namespace ferry::test
