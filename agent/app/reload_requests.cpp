#include "agent/app/reload_requests.hpp"

#include <utility>

namespace ferry::app {

Result<std::string> ReloadRequests::ask(const env::UserId& caller, std::chrono::seconds patience) {
  std::future<ReloadOutcome> result;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return make_error(ErrorCode::kUnavailable, "the agent is stopping");
    waiting_.callers_.push_back(caller);
    result = waiting_.promises_.emplace_back().get_future();
  }
  wake_();
  if (result.wait_for(patience) != std::future_status::ready) {
    return make_error(ErrorCode::kUnavailable,
                      "the reload did not finish within {} s; see the agent's log",
                      patience.count());
  }
  ReloadOutcome outcome = result.get();
  if (!outcome.applied) return make_error(ErrorCode::kConfig, "{}", outcome.message);
  return outcome.message;
}

ReloadRequests::Waiting ReloadRequests::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(waiting_, Waiting{});
}

void ReloadRequests::Waiting::answer(const ReloadOutcome& outcome) {
  for (auto& request : promises_) request.set_value(outcome);
  promises_.clear();
  callers_.clear();
}

void ReloadRequests::cancel() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  take().answer({false, "the agent is stopping"});
}

}  // namespace ferry::app
