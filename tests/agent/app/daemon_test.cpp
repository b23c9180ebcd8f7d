// The agent's start-up as named steps with one teardown path: a step that fails half-way undoes
// the steps before it (the data_dir lock is released, the spool closed, the socket removed), so a
// second start works; a started agent answers on its control socket, hears SIGTERM, and stops.
#include "agent/app/daemon.hpp"

#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <pthread.h>

#include "agent/control/control_client.hpp"
#include "common/config/load.hpp"
#include "connectors/registry/registry.hpp"
#include "tests/support/minimal_config.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::app {
namespace {

using Catch::Matchers::Contains;

// A data_dir with a key file, and a configuration pointing at it; `extra` goes under `agent:`.
struct Site {
  test::TempDir dir;

  config::Settings settings(const std::string& extra = "") const {
    const auto file =
        dir.write("ferry.yaml", test::minimal_config(data_dir(), dir / "export", extra));
    auto loaded = config::load_config(file, connectors::catalog());
    REQUIRE(loaded);
    return std::move(*loaded);
  }
  keys::Keyring keyring() const {
    const auto path = keys::keyring_path(data_dir());
    if (!std::filesystem::exists(path)) {
      std::filesystem::create_directories(data_dir());
      REQUIRE(keys::Keyring::create(path, std::chrono::system_clock::now()));
    }
    auto loaded = keys::Keyring::load(path);
    REQUIRE(loaded);
    return std::move(*loaded);
  }
  std::filesystem::path data_dir() const { return dir / "data"; }
};

// Remembers what the daemon told its service manager.
class Recorder : public Lifecycle {
 public:
  void starting(std::string_view step) override { heard.emplace_back(step); }
  void ready() override { heard.emplace_back("ready"); }
  void stopping() override { heard.emplace_back("stopping"); }
  std::vector<std::string> heard;
};

TEST_CASE("a start-up step that fails undoes the steps before it, so a second start works") {
  Site site;
  // The metrics port is taken: the last step but one fails.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const auto port = taken.local_endpoint().port();
  Recorder heard;
  auto failed = Daemon::start(site.settings(fmt::format("  metrics: 127.0.0.1:{}\n", port)),
                              site.keyring(), heard);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().step == "open the metrics endpoint");
  CHECK_FALSE(failed.error().configuration);
  CHECK_THAT(failed.error().error.message, Contains("agent.metrics"));
  CHECK(heard.heard == std::vector<std::string>{
                           "block signals", "take the data_dir lock", "open the audit log",
                           "open the spool", "build the collector", "build the uplink",
                           "open the control socket", "open the metrics endpoint", "stopping"});
  // Undone: the lock is free, the control socket is gone.
  {
    auto lock = DataDirLock::acquire(site.data_dir());
    CHECK(lock);
  }
  CHECK_FALSE(std::filesystem::exists(site.data_dir() / "control.sock"));

  auto started = Daemon::start(site.settings(), site.keyring(), quiet_lifecycle());
  REQUIRE(started);
  const control::ControlClient client(site.data_dir() / "control.sock");
  CHECK(client.ping());
  auto status = client.status();
  REQUIRE(status);
  CHECK(status->agent_id == "school-042");
  REQUIRE(status->source("sis") != nullptr);
  CHECK(status->uplink.state == "disabled");
  // While it runs, the data_dir is its own.
  CHECK_FALSE(DataDirLock::acquire(site.data_dir()));
  pthread_kill(pthread_self(), SIGTERM);
  CHECK((*started)->run());  // takes the SIGTERM and returns: a stop asked for
  started->reset();
  CHECK(DataDirLock::acquire(site.data_dir()));
  CHECK_FALSE(client.ping());
}

TEST_CASE("a control_socket that is not a socket fails its step, the spool is closed again") {
  Site site;
  const auto not_a_socket = site.dir.write("precious.txt", "keep me");
  Recorder heard;
  auto failed =
      Daemon::start(site.settings(fmt::format("  control_socket: {}\n", not_a_socket.string())),
                    site.keyring(), heard);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().step == "open the control socket");
  CHECK_THAT(failed.error().error.message, Contains("exists and is not a socket"));
  CHECK(heard.heard.back() == "stopping");
  CHECK(test::read_file(not_a_socket) == "keep me");
  // The lock and the spool are free: a start with a good socket gets through every step.
  Recorder again;
  auto started = Daemon::start(site.settings(), site.keyring(), again);
  REQUIRE(started);
  CHECK(again.heard.back() == "ready");
  CHECK(again.heard.size() == 10);
}

}  // namespace
}  // namespace ferry::app
