// What the running agent answers on its control socket: control::RequestHandler against the
// current Generation. `reload` goes to the main thread (ReloadRequests); `sync_wait` holds a lease
// on the generation and, when a reload replaces it meanwhile, asks the new one again.
//
// Threads: every method on the control server's threads, several at once. begin_stopping() from
// the main thread, before the generation stops: later requests that would wait are refused.
#pragma once

#include <atomic>
#include <chrono>

#include "agent/app/generations.hpp"
#include "agent/app/reload_requests.hpp"
#include "agent/control/dispatch.hpp"
#include "common/audit/audit_log.hpp"

namespace ferry::app {

class ControlRequests final : public control::RequestHandler {
 public:
  // Each must outlive this object; `audit` may be null.
  ControlRequests(Generations& generations, ReloadRequests& reloads, audit::AuditLog* audit,
                  std::chrono::system_clock::time_point started)
      : generations_(generations), reloads_(reloads), audit_(audit), started_(started) {}

  Result<boost::json::object> status() override;
  // sync_now and sync_wait record "sync_requested" (with the caller's uid) before they start runs;
  // erase and reload record the caller in their own entries.
  Result<std::string> sync_now(const control::SyncNowRequest& request,
                               const env::UserId& caller) override;
  Result<control::SyncWaitReply> sync_wait(const control::SyncWaitRequest& request,
                                           const env::UserId& caller) override;
  Result<control::EraseReply> erase(const control::EraseRequest& request,
                                    const env::UserId& caller) override;
  Result<std::string> reload(const env::UserId& caller) override;

  // The body of GET /metrics, on the metrics server's thread.
  std::string metrics_text();

  void begin_stopping();

 private:
  Generations& generations_;
  ReloadRequests& reloads_;
  audit::AuditLog* audit_;
  std::chrono::system_clock::time_point started_;
  std::atomic<bool> stopping_ = false;
};

}  // namespace ferry::app
