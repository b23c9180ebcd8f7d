// The control socket carries one JSON line each way, is created 0660, replaces a stale file
// nobody listens on, and refuses to take over a socket another process answers on.
#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control/control_client.hpp"
#include "agent/control/control_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;

TEST_CASE("a request line gets the handler's answer line, as often as asked") {
  test::TempDir dir;
  const auto path = dir / "control.sock";
  auto server = control::ControlServer::start(
      path, [](const std::string& line) { return "answer to " + line; });
  REQUIRE(server);
  for (int i = 0; i < 3; ++i) {
    auto answer = control::request(path, R"({"cmd":"status"})");
    REQUIRE(answer);
    CHECK(*answer == R"(answer to {"cmd":"status"})");
  }
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0660);
  (*server)->stop();
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("no agent: the client says nothing listens, and names the socket") {
  test::TempDir dir;
  auto answer = control::request(dir / "control.sock", R"({"cmd":"status"})");
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  CHECK(answer.error().message ==
        "no agent is running (nothing listens on " + (dir / "control.sock").string() + ")");
}

TEST_CASE("a stale socket file is replaced; a live one is never taken over") {
  test::TempDir dir;
  const auto path = dir / "control.sock";
  {
    auto first = control::ControlServer::start(path, [](const std::string&) { return "1"; });
    REQUIRE(first);
    auto second = control::ControlServer::start(path, [](const std::string&) { return "2"; });
    REQUIRE_FALSE(second);
    CHECK(second.error().message.find("another process answers there") != std::string::npos);
    auto answer = control::request(path, "{}");
    REQUIRE(answer);
    CHECK(*answer == "1");
  }
  // What a crash leaves: a socket file that nobody listens on.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  ::close(fd);
  REQUIRE(std::filesystem::is_socket(path));
  auto again = control::ControlServer::start(path, [](const std::string&) { return "3"; });
  REQUIRE(again);
  auto answer = control::request(path, "{}");
  REQUIRE(answer);
  CHECK(*answer == "3");
}

TEST_CASE("a control_socket path that is not a socket is refused and left alone") {
  test::TempDir dir;
  const auto path = dir.write("keyring.json", "precious");
  auto server = control::ControlServer::start(path, [](const std::string&) { return ""; });
  REQUIRE_FALSE(server);
  CHECK(server.error().message == "agent.control_socket " + path.string() +
                                      " exists and is not a socket: choose another path (the "
                                      "default is <data_dir>/control.sock)");
  std::ifstream in(path);
  std::string content;
  std::getline(in, content);
  CHECK(content == "precious");
}
