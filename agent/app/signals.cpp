#include "agent/app/signals.hpp"

#include <ctime>

namespace ferry::app {

void AgentSignals::block() {
  if (blocked_) return;
  sigemptyset(&signals_);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals_, signal);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  thread_ = pthread_self();
  blocked_ = true;
}

void AgentSignals::restore() {
  if (!blocked_) return;
  const timespec no_wait{};
  while (sigtimedwait(&signals_, nullptr, &no_wait) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  blocked_ = false;
}

std::optional<int> AgentSignals::wait(std::chrono::milliseconds timeout) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timespec wait_for{static_cast<std::time_t>(seconds.count()),
                          static_cast<long>((timeout - seconds).count() * 1000000)};
  const int signal = sigtimedwait(&signals_, nullptr, &wait_for);
  if (signal < 0) return std::nullopt;  // the time passed (EAGAIN), or EINTR
  return signal;
}

void AgentSignals::wake_for_reload() const { pthread_kill(thread_, SIGHUP); }

std::string_view signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

}  // namespace ferry::app
