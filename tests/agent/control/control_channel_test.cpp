// The control channel on both systems, through the same interface (control_server.hpp,
// control_client.hpp): a Unix domain socket on Linux, a named pipe on Windows. One JSON line each
// way; the handler learns who asked (the uid, or the SID on Windows); two servers never share a
// channel; once stopped, the client finds no agent. (The Unix socket's modes, folders and peer
// rules are in control_socket_test.cpp.)
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/control/control_client.hpp"
#include "agent/control/control_server.hpp"
#include "common/env/user.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::control {
namespace {

using Catch::Matchers::Contains;

// Answers every line with {"ok":true,"echo":LINE} and records who asked.
struct Recorder {
  std::mutex mutex;
  std::vector<env::UserId> callers;

  Handler handler() {
    return [this](const std::string& line, const Peer& peer) {
      std::lock_guard lock(mutex);
      callers.push_back(peer.uid);
      return R"({"ok":true,"echo":)" + std::to_string(line.size()) + "}";
    };
  }
};

TEST_CASE("control channel: one line each way, and the handler learns who asked") {
  test::TempDir dir;
  Recorder recorder;
  auto server = ControlServer::start(dir / "control.sock", recorder.handler());
  REQUIRE(server);
  auto answer = request(dir / "control.sock", R"({"cmd":"ping"})");
  REQUIRE(answer);
  CHECK(*answer == R"({"ok":true,"echo":14})");
  std::lock_guard lock(recorder.mutex);
  REQUIRE(recorder.callers.size() == 1);
  CHECK(recorder.callers.front() == env::current_user());
}

TEST_CASE("control channel: several clients at once are all answered") {
  test::TempDir dir;
  Recorder recorder;
  auto server = ControlServer::start(dir / "control.sock", recorder.handler());
  REQUIRE(server);
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&] {
      if (request(dir / "control.sock", R"({"cmd":"status"})")) ++answered;
    });
  }
  for (auto& client : clients) client.join();
  CHECK(answered == 6);
}

TEST_CASE("control channel: a second server on the same channel is refused") {
  test::TempDir dir;
  Recorder first;
  Recorder second;
  auto server = ControlServer::start(dir / "control.sock", first.handler());
  REQUIRE(server);
  auto other = ControlServer::start(dir / "control.sock", second.handler());
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::kAlreadyExists);
  CHECK_THAT(other.error().message, Contains("another"));
  CHECK(request(dir / "control.sock", R"({"cmd":"ping"})"));  // the first still answers
}

TEST_CASE("control channel: once stopped, no agent is found, and it can start again") {
  test::TempDir dir;
  Recorder recorder;
  auto server = ControlServer::start(dir / "control.sock", recorder.handler());
  REQUIRE(server);
  (*server)->stop();
  auto gone = request(dir / "control.sock", R"({"cmd":"ping"})");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(gone.error().message, Contains("no agent is running"));
  auto again = ControlServer::start(dir / "control.sock", recorder.handler());
  REQUIRE(again);
  CHECK(request(dir / "control.sock", R"({"cmd":"ping"})"));
}

}  // namespace
}  // namespace ferry::control
