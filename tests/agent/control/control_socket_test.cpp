// The control socket carries one JSON line each way, is created 0660, replaces a stale file
// nobody listens on, and refuses to take over a socket another process answers on. It is never
// opened in a folder others may write; the agent answers only root, its own user and the
// members of the socket's group; the client talks only to a server that runs as root or as the
// socket file's owner.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/control/control_client.hpp"
#include "agent/control/control_server.hpp"
#include "agent/control/peer_posix.hpp"
#include "agent/control/socket_folder.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using Catch::Matchers::Contains;

namespace {

// A socket bound and listening at `path`; -1 on failure.
int listen_at(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 4) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A server that another user runs: a child process that becomes `user` and listens at `path`.
// It answers every line with a status of its own, and reports on `report` how many bytes it was
// sent by the one client it serves.
struct ImpostorServer {
  ImpostorServer(const std::filesystem::path& path, const passwd& user) {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(report) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // only system calls from here on
      ::close(ready[0]);
      ::close(report[0]);
      if (::setgid(user.pw_gid) != 0 || ::setuid(user.pw_uid) != 0) ::_exit(2);
      const int listener = listen_at(path);
      if (listener < 0) ::_exit(3);
      char ok = 1;
      if (::write(ready[1], &ok, 1) != 1) ::_exit(4);
      const int client = ::accept(listener, nullptr, nullptr);
      std::uint32_t received = 0;
      char buffer[256];
      for (ssize_t n; (n = ::read(client, buffer, sizeof buffer)) > 0;) {
        received += static_cast<std::uint32_t>(n);
        const char answer[] = "{\"agent_id\":\"impostor\"}\n";
        (void)!::write(client, answer, sizeof answer - 1);
      }
      (void)!::write(report[1], &received, sizeof received);
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(report[1]);
    char ok = 0;
    const bool listening = ::read(ready[0], &ok, 1) == 1;
    ::close(ready[0]);
    REQUIRE(listening);
  }
  ~ImpostorServer() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(report[0]);
  }

  // Bytes the server was sent, once its client left (nullopt if it did not say within 10 s).
  std::optional<std::uint32_t> received() {
    pollfd ready{report[0], POLLIN, 0};
    if (::poll(&ready, 1, 10000) != 1) return std::nullopt;
    std::uint32_t count = 0;
    if (::read(report[0], &count, sizeof count) != sizeof count) return std::nullopt;
    return count;
  }

  pid_t pid = -1;
  int report[2] = {-1, -1};
};

}  // namespace

TEST_CASE("a request line gets the handler's answer line, as often as asked") {
  test::TempDir dir;
  const auto path = dir / "control.sock";
  auto server = control::ControlServer::start(
      path, [](const std::string& line, const control::Peer&) { return "answer to " + line; });
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

TEST_CASE("a stale socket file is replaced, a live one is never taken over") {
  test::TempDir dir;
  const auto path = dir / "control.sock";
  {
    auto first = control::ControlServer::start(
        path, [](const std::string&, const control::Peer&) { return "1"; });
    REQUIRE(first);
    auto second = control::ControlServer::start(
        path, [](const std::string&, const control::Peer&) { return "2"; });
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
  auto again = control::ControlServer::start(
      path, [](const std::string&, const control::Peer&) { return "3"; });
  REQUIRE(again);
  auto answer = control::request(path, "{}");
  REQUIRE(answer);
  CHECK(*answer == "3");
}

TEST_CASE("a control_socket path that is not a socket is refused and left alone") {
  test::TempDir dir;
  const auto path = dir.write("keyring.json", "precious");
  auto server = control::ControlServer::start(
      path, [](const std::string&, const control::Peer&) { return ""; });
  REQUIRE_FALSE(server);
  CHECK(server.error().message == "agent.control_socket " + path.string() +
                                      " exists and is not a socket: choose another path (the "
                                      "default is <data_dir>/control.sock)");
  std::ifstream in(path);
  std::string content;
  std::getline(in, content);
  CHECK(content == "precious");
}

TEST_CASE("a control_socket in a folder its group or others may write is refused") {
  for (const auto mode : {0777u, 01777u, 0770u}) {
    test::TempDir dir;
    const auto folder = dir / "shared";
    std::filesystem::create_directory(folder);
    REQUIRE(::chmod(folder.c_str(), mode) == 0);
    const auto path = folder / "control.sock";
    auto server = control::ControlServer::start(
        path, [](const std::string&, const control::Peer&) { return ""; });
    INFO("mode " << std::oct << mode);
    REQUIRE_FALSE(server);
    CHECK(server.error().code == ErrorCode::kPermission);
    CHECK_THAT(server.error().message,
               Contains("agent.control_socket " + path.string() + " is in " + folder.string()) &&
                   Contains(mode == 0770u ? "a folder its group may write to"
                                          : "a folder its group and others may write to") &&
                   Contains("Put it in a folder only the agent's user can write"));
    CHECK_FALSE(std::filesystem::exists(path));
  }
  test::TempDir dir;  // 0700
  CHECK(control::check_socket_folder(dir / "control.sock"));
}

TEST_CASE("the agent answers root and its own user and members of the socket's group only") {
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) FERRY_SKIP("there is no user 'nobody' to ask about");
  const uid_t agent = 998;
  CHECK_FALSE(control::refusal_for({0, 0, 1}, agent, 4242));
  CHECK_FALSE(control::refusal_for({agent, 4242, 1}, agent, 4242));
  // The primary group, as the kernel reports it for the peer, or as the passwd entry says.
  CHECK_FALSE(control::refusal_for({nobody->pw_uid, 4242, 1}, agent, 4242));
  CHECK_FALSE(control::refusal_for({nobody->pw_uid, 0, 1}, agent, nobody->pw_gid));
  // Anyone else is told who may ask, and how an admin lets them in.
  const auto refused = control::refusal_for({nobody->pw_uid, nobody->pw_gid, 1}, agent, 0);
  REQUIRE(refused);
  CHECK_THAT(*refused,
             Contains(fmt::format("user nobody (uid {}) may not use this agent's control socket",
                                  nobody->pw_uid)) &&
                 Contains("members of group root (gid 0)") && Contains("usermod -aG root nobody"));
}

TEST_CASE("the client talks only to a server that runs as root or as the socket file's owner") {
  CHECK_FALSE(control::distrust_of("/run/ferry/control.sock", 0, 998));
  CHECK_FALSE(control::distrust_of("/run/ferry/control.sock", 998, 998));
  CHECK(control::distrust_of("/run/ferry/control.sock", 4242, 998));
  if (::geteuid() != 0) {
    FERRY_SKIP("needs root to start a server as another user (user nobody)");
  }
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  test::TempDir dir;
  REQUIRE(::chown(dir.path().c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
  const auto path = dir / "control.sock";
  ImpostorServer impostor(path, *nobody);
  // The file is root's, as the agent's own socket would be; what answers there is nobody.
  REQUIRE(::chown(path.c_str(), 0, 0) == 0);
  auto answer = control::ControlClient(path).status();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kPermission);
  CHECK(answer.error().message ==
        fmt::format("{} answers as user nobody (uid {}), who neither is root nor owns the socket "
                    "file (its owner is root (uid 0)): not talking to it. Another program may "
                    "have taken the agent's place there: check agent.control_socket, and who "
                    "runs the agent",
                    path.string(), nobody->pw_uid));
  // Nothing was sent to it.
  CHECK(impostor.received() == std::optional<std::uint32_t>(0));
}
