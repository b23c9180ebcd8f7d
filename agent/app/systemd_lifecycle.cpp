#include "agent/app/systemd_lifecycle.hpp"

#if FERRY_HAVE_LIBSYSTEMD

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <systemd/sd-daemon.h>

#include <fmt/format.h>

#include "common/log/log.hpp"

namespace ferry::app {
namespace {

// Each field of an sd_notify message is one line: a newline in a status text would start a field
// of its own.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

class SystemdLifecycle final : public Lifecycle {
 public:
  void starting(std::string_view step) override {
    notify(fmt::format("STATUS=Starting: {}", one_line(step)));
  }
  void ready() override { notify("READY=1\nSTATUS=Running"); }
  // MONOTONIC_USEC: systemd 253 and later match a reload's READY=1 to its RELOADING=1 with it.
  void reloading() override {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1'000;
    notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=Reloading the configuration", usec));
  }
  void reloaded(bool applied, std::string_view message) override {
    notify(fmt::format("READY=1\nSTATUS={}", applied ? "Running: configuration reloaded"
                                                     : "Running: reload refused: " +
                                                           one_line(message)));
  }
  void stopping() override { notify("STOPPING=1\nSTATUS=Stopping"); }
  // Half of WatchdogSec, as systemd advises: one late wake-up is not yet a missed deadline.
  std::chrono::milliseconds watchdog_interval() const override {
    std::uint64_t usec = 0;
    if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return {};
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(usec / 2));
  }
  void alive() override { notify("WATCHDOG=1"); }
  std::chrono::milliseconds status_interval() const override { return std::chrono::seconds(10); }
  void status(std::string_view line) override { notify("STATUS=" + one_line(line)); }

 private:
  // A manager that stopped listening is no reason to stop the agent: the failure is logged once.
  void notify(const std::string& message) {
    const int sent = ::sd_notify(0, message.c_str());
    if (sent < 0 && !warned_) {
      warned_ = true;
      log::get("agent")->warn("cannot notify systemd (NOTIFY_SOCKET): {}", std::strerror(-sent));
    }
  }
  bool warned_ = false;
};

}  // namespace

std::unique_ptr<Lifecycle> systemd_lifecycle() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return nullptr;
  return std::make_unique<SystemdLifecycle>();
}

}  // namespace ferry::app

#else

namespace ferry::app {

std::unique_ptr<Lifecycle> systemd_lifecycle() { return nullptr; }

}  // namespace ferry::app

#endif
