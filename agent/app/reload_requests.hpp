// `reload` requests from the control socket, handed to the main thread that swaps generations
// (a reload must not run on a control-server thread: it stops and rebuilds what those threads
// read). The asking thread wakes the main thread (SIGHUP) and waits for its answer.
//
// Threads: ask() from control-server threads; take(), Waiting::answer() and cancel() from the main
// thread.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/app/generations.hpp"
#include "common/env/user.hpp"
#include "common/error/error.hpp"

namespace ferry::app {

class ReloadRequests {
 public:
  // `wake` makes the main thread reload (AgentSignals::wake_for_reload).
  explicit ReloadRequests(std::function<void()> wake) : wake_(std::move(wake)) {}

  // What the reload applied, or why it was refused; waits at most `patience`. `caller`: the uid
  // of the user who asked (the audit entry of the reload records it).
  Result<std::string> ask(const env::UserId& caller,
                          std::chrono::seconds patience = std::chrono::seconds(60));

  // The requests waiting now, taken before a reload: that reload answers them (those that arrive
  // meanwhile wait for the next, which their wake-up brings).
  class Waiting {
   public:
    const std::vector<env::UserId>& callers() const { return callers_; }
    void answer(const ReloadOutcome& outcome);

   private:
    friend class ReloadRequests;
    std::vector<env::UserId> callers_;
    std::vector<std::promise<ReloadOutcome>> promises_;
  };
  Waiting take();
  // The agent is stopping: waiting requests are refused, and so is every later one.
  void cancel();

 private:
  std::function<void()> wake_;
  std::mutex mutex_;
  Waiting waiting_;        // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
};

}  // namespace ferry::app
