#include "agent/app/signals.hpp"

#include <ctime>

#include <unistd.h>

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

std::optional<ReceivedSignal> AgentSignals::wait(std::chrono::milliseconds timeout) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timespec wait_for{static_cast<std::time_t>(seconds.count()),
                          static_cast<long>((timeout - seconds).count() * 1000000)};
  siginfo_t info{};
  const int signal = sigtimedwait(&signals_, &info, &wait_for);
  if (signal < 0) return std::nullopt;  // the time passed (EAGAIN), or EINTR
  ReceivedSignal received;
  received.number = signal;
  // kill(2), sigqueue(3) and tgkill(2) record the sender; a terminal's Ctrl-C (SI_KERNEL) and
  // this process's own wake_for_reload() do not name anyone.
  const bool sent = info.si_code == SI_USER || info.si_code == SI_QUEUE || info.si_code == SI_TKILL;
  if (sent && info.si_pid != ::getpid()) {
    received.sender_uid = info.si_uid;
    received.sender_pid = info.si_pid;
  }
  return received;
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
