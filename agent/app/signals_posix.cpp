#include "agent/app/signals.hpp"

#include <ctime>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace ferry::app {
namespace {

std::string_view name_of(int signal) {
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

}  // namespace

struct AgentSignals::State {
  bool blocked = false;
  sigset_t signals{};
  sigset_t previous{};
  pthread_t thread{};
};

AgentSignals::AgentSignals() : state_(std::make_unique<State>()) {}
AgentSignals::~AgentSignals() = default;

void AgentSignals::block() {
  if (state_->blocked) return;
  sigemptyset(&state_->signals);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&state_->signals, signal);
  pthread_sigmask(SIG_BLOCK, &state_->signals, &state_->previous);
  state_->thread = pthread_self();
  state_->blocked = true;
}

void AgentSignals::restore() {
  if (!state_->blocked) return;
  const timespec no_wait{};
  while (sigtimedwait(&state_->signals, nullptr, &no_wait) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &state_->previous, nullptr);
  state_->blocked = false;
}

std::optional<ReceivedSignal> AgentSignals::wait(std::chrono::milliseconds timeout) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timespec wait_for{static_cast<std::time_t>(seconds.count()),
                          static_cast<long>((timeout - seconds).count() * 1000000)};
  siginfo_t info{};
  const int signal = sigtimedwait(&state_->signals, &info, &wait_for);
  if (signal < 0) return std::nullopt;  // the time passed (EAGAIN), or EINTR
  ReceivedSignal received;
  received.asks = signal == SIGHUP ? ReceivedSignal::Asks::kReload : ReceivedSignal::Asks::kStop;
  received.name = name_of(signal);
  // kill(2), sigqueue(3) and tgkill(2) record the sender; a terminal's Ctrl-C (SI_KERNEL) and
  // this process's own wake_for_reload() do not name anyone.
  const bool sent = info.si_code == SI_USER || info.si_code == SI_QUEUE || info.si_code == SI_TKILL;
  if (sent && info.si_pid != ::getpid()) {
    received.sender_uid = info.si_uid;
    received.sender_pid = info.si_pid;
  }
  return received;
}

void AgentSignals::wake_for_reload() const { pthread_kill(state_->thread, SIGHUP); }

}  // namespace ferry::app
