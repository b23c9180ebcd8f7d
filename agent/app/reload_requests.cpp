#include "agent/app/reload_requests.hpp"

namespace ferry::app {

Result<std::string> ReloadRequests::ask(std::chrono::seconds patience) {
  std::future<ReloadOutcome> result;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return make_error(ErrorCode::kUnavailable, "the agent is stopping");
    result = waiting_.emplace_back().get_future();
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

std::vector<std::promise<ReloadOutcome>> ReloadRequests::take() {
  std::lock_guard lock(mutex_);
  std::vector<std::promise<ReloadOutcome>> waiting;
  waiting.swap(waiting_);
  return waiting;
}

void ReloadRequests::answer(const ReloadOutcome& outcome) {
  for (auto& request : take()) request.set_value(outcome);
}

void ReloadRequests::cancel() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  for (auto& request : take()) request.set_value({false, "the agent is stopping"});
}

}  // namespace ferry::app
