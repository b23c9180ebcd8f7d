// `ferry run` as systemd runs it (Type=notify, WatchdogSec=): the test plays systemd's part. It
// listens on a datagram socket, gives its path to the agent in NOTIFY_SOCKET (and WATCHDOG_USEC),
// and reads what the agent tells: READY=1 only once the control socket answers, STATUS= lines,
// WATCHDOG=1 while every loop answers (and not while one is stuck: ferry-test-hooks), and
// STOPPING=1 on SIGTERM.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/fault/child_process.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// systemd's end of NOTIFY_SOCKET: a Unix datagram socket; each datagram is one sd_notify
// message of newline-separated fields.
class NotifyListener {
 public:
  explicit NotifyListener(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path_.string().size() < sizeof(address.sun_path));
    path_.string().copy(address.sun_path, sizeof(address.sun_path) - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~NotifyListener() { ::close(fd_); }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // The next field (one line of a message), or nullopt when none came within `timeout`.
  std::optional<std::string> next(std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (pending_.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) continue;
      std::string message(buffer, static_cast<std::size_t>(got));
      std::size_t start = 0;
      while (start <= message.size()) {
        const auto newline = message.find('\n', start);
        const auto field = message.substr(start, newline == std::string::npos
                                                     ? std::string::npos
                                                     : newline - start);
        if (!field.empty()) pending_.push_back(field);
        if (newline == std::string::npos) break;
        start = newline + 1;
      }
    }
    std::string field = pending_.front();
    pending_.erase(pending_.begin());
    seen_.push_back(field);
    return field;
  }

  // Reads fields until one equals `field` (or starts with it, when it ends with '='); false when
  // none came within `timeout`.
  bool wait_for(const std::string& field, std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      const auto got =
          next(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()));
      if (!got) return false;
      if (*got == field || (field.back() == '=' && got->rfind(field, 0) == 0)) return true;
    }
    return false;
  }

  // Every field read so far, in order.
  const std::vector<std::string>& seen() const { return seen_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::string> pending_;
  std::vector<std::string> seen_;
};

// NOTIFY_SOCKET and WATCHDOG_USEC in this test process's environment while a child starts (each
// test case runs in a process of its own, CTest's).
class ServiceEnvironment {
 public:
  ServiceEnvironment(const std::filesystem::path& socket, std::chrono::milliseconds watchdog) {
    ::setenv("NOTIFY_SOCKET", socket.c_str(), 1);
    ::setenv("WATCHDOG_USEC", std::to_string(watchdog.count() * 1000).c_str(), 1);
  }
  ~ServiceEnvironment() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
  }
};

bool has_field(const std::vector<std::string>& fields, const std::string& wanted) {
  for (const auto& field : fields) {
    if (field.find(wanted) != std::string::npos) return true;
  }
  return false;
}

std::size_t count_of(const std::vector<std::string>& fields, const std::string& wanted) {
  std::size_t count = 0;
  for (const auto& field : fields) count += field == wanted ? 1 : 0;
  return count;
}

TEST_CASE("ferry run under systemd: READY=1 once the control socket answers, then STATUS=, "
          "WATCHDOG=1, and STOPPING=1 on SIGTERM") {
  test::PipelineSite site({.max_rows = 100, .log_level = "info"});
  REQUIRE(site.generate({"--users", "50", "--seed", "14"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  NotifyListener systemd(site.dir() / "notify.sock");
  const auto output = site.dir() / "run-output.txt";
  std::optional<test::ChildProcess> agent;
  {
    ServiceEnvironment environment(systemd.path(), 2s);
    agent.emplace(site.ferry_argv({"run"}), output);
  }

  INFO(test::read_file(output));
  REQUIRE(systemd.wait_for("READY=1", 60s));
  // READY=1 is sent after the control socket listens: `ferry status` answers at once.
  const auto status = site.ferry({"status"});
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(has_field(systemd.seen(), "STATUS=Starting: open the spool"));
  CHECK(has_field(systemd.seen(), "STATUS=Starting: open the control socket"));

  // WatchdogSec=2s: fed every second while the loops answer; STATUS= every time too.
  REQUIRE(test::wait_until(
      [&] {
        systemd.next(100ms);
        return count_of(systemd.seen(), "WATCHDOG=1") >= 3 &&
               has_field(systemd.seen(), "STATUS=uplink disabled (spool only); spool ");
      },
      30s));
  CHECK(has_field(systemd.seen(), "; last sync "));

  // systemctl reload (ExecReload: SIGHUP): RELOADING=1, then READY=1 with how it ended.
  REQUIRE(agent->signal(SIGHUP));
  REQUIRE(systemd.wait_for("RELOADING=1", 30s));
  REQUIRE(systemd.wait_for("READY=1", 30s));
  CHECK(systemd.wait_for("STATUS=Running: configuration reloaded", 5s));

  REQUIRE(agent->signal(SIGTERM));
  CHECK(systemd.wait_for("STOPPING=1", 30s));
  const auto code = agent->wait_for(30s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("ferry run under systemd stops feeding the watchdog while its uplink loop is stuck, "
          "and feeds it again once the loop answers") {
  test::PipelineSite site({.max_rows = 100, .log_level = "info"});
  REQUIRE(site.generate({"--users", "20", "--seed", "15"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  // An uplink whose tenant is not there (its address refuses connections): its loop runs, in
  // backoff.
  test::TcpProxy refusing;
  std::string config = test::read_file(site.config());
  const auto off = config.find("  enabled: false\n");
  REQUIRE(off != std::string::npos);
  config.replace(off, std::string("  enabled: false\n").size(),
                 "  enabled: true\n  url: wss://127.0.0.1:" +
                     std::to_string(refusing.port()) +
                     "/v1/agent\n  token: notify-test-token\n");
  REQUIRE(site.config().parent_path() == site.dir().path());
  site.dir().write(site.config().filename().string(), config);
  const auto stall = site.dir() / "stall-uplink";
  NotifyListener systemd(site.dir() / "notify.sock");
  const auto output = site.dir() / "run-output.txt";
  std::optional<test::ChildProcess> agent;
  {
    ServiceEnvironment environment(systemd.path(), 2s);
    ::setenv("FERRY_TEST_STALL_UPLINK_WHILE", stall.c_str(), 1);
    std::vector<std::string> argv = site.ferry_argv({"run"});
    argv[0] = FERRY_TEST_HOOKS_BINARY;
    agent.emplace(argv, output);
    ::unsetenv("FERRY_TEST_STALL_UPLINK_WHILE");
  }
  INFO(test::read_file(output));
  REQUIRE(systemd.wait_for("READY=1", 60s));
  REQUIRE(systemd.wait_for("WATCHDOG=1", 10s));

  site.dir().write(stall.filename().string(), "");
  const auto says = [&](const std::string& text) {
    return test::read_file(site.log_file()).find(text) != std::string::npos;
  };
  REQUIRE(test::wait_until([&] { return says("the uplink did not answer within"); }, 30s, 50ms));
  // From now on no WATCHDOG=1 for several watchdog intervals (1 s each): systemd would restart it.
  while (systemd.next(0ms)) {
  }
  const auto fed_before = count_of(systemd.seen(), "WATCHDOG=1");
  const auto window_end = Clock::now() + 4s;
  while (Clock::now() < window_end) systemd.next(100ms);
  CHECK(count_of(systemd.seen(), "WATCHDOG=1") == fed_before);

  std::filesystem::remove(stall);
  CHECK(systemd.wait_for("WATCHDOG=1", 30s));
  CHECK(test::wait_until([&] { return says("the uplink answers again"); }, 30s, 50ms));

  REQUIRE(agent->signal(SIGTERM));
  const auto code = agent->wait_for(30s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("the ferry program has no test hook: only ferry-test-hooks does") {
  const std::string hooks = test::read_file(FERRY_TEST_HOOKS_BINARY);
  const std::string ferry = test::read_file(FERRY_BINARY);
  for (const std::string hook :
       {"FERRY_TEST_STALL_UPLINK_WHILE", "FERRY_TEST_CRASH_POINT", "FERRY_TEST_SPOOL_FAULT"}) {
    CHECK(hooks.find(hook) != std::string::npos);
    CHECK(ferry.find(hook) == std::string::npos);
  }
}

}  // namespace
}  // namespace ferry
