#include "agent/app/control_requests.hpp"

#include "agent/app/audit_events.hpp"
#include "agent/app/erase.hpp"
#include "agent/app/sync_wait.hpp"
#include "agent/control/status.hpp"
#include "agent/metrics/metrics.hpp"
#include "common/log/log.hpp"

namespace ferry::app {

Result<boost::json::object> ControlRequests::status() {
  return generations_.read(
      [&](Generation& g) { return control::status_json(g.status_inputs(started_)); });
}

std::string ControlRequests::metrics_text() {
  auto text = generations_.read(
      [&](Generation& g) { return metrics::render_metrics(g.status_inputs(started_)); });
  return text ? *text : "# " + text.error().message + "\n";
}

Result<std::string> ControlRequests::sync_now(const control::SyncNowRequest& request,
                                              const env::UserId& caller) {
  boost::json::array sources;
  if (request.source) sources.emplace_back(*request.source);
  record(audit_, "sync_requested",
         {{"uid", caller}, {"sources", std::move(sources)}, {"wait", false}});
  auto started = generations_.read([&](Generation& g) { return g.run_now(request.source); });
  if (!started) return tl::unexpected(started.error());
  return *started;
}

Result<control::SyncWaitReply> ControlRequests::sync_wait(const control::SyncWaitRequest& request,
                                                          const env::UserId& caller) {
  boost::json::array sources;
  for (const auto& source : request.sources) sources.emplace_back(source);
  record(audit_, "sync_requested",
         {{"uid", caller},
          {"sources", std::move(sources)},
          {"wait", true},
          {"upload", request.drain}});
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  for (;;) {
    if (stopping_) return make_error(ErrorCode::kUnavailable, "the agent is stopping");
    auto leased = generations_.lease();
    if (!leased) return tl::unexpected(leased.error());
    auto result = sync_and_wait(*leased->generation, request, deadline, leased->lease.stop_token());
    if (!result) return tl::unexpected(result.error());
    // A reload replaced the generation meanwhile: its runs were stopped; ask the new one.
    if (result->interrupted && !stopping_ && std::chrono::steady_clock::now() < deadline) {
      continue;
    }
    if (result->interrupted && stopping_) {
      return make_error(ErrorCode::kUnavailable, "the agent is stopping");
    }
    return std::move(result->reply);
  }
}

Result<control::EraseReply> ControlRequests::erase(const control::EraseRequest& request,
                                                   const env::UserId& caller) {
  auto erased = generations_.read([&](Generation& g) -> Result<EraseOutcome> {
    HoldSending hold;
    if (uplink::Uplink* delivery = g.uplink()) {
      hold = [delivery](const std::function<void(std::uint64_t)>& work) {
        delivery->hold_sending(work);
      };
    }
    auto outcome =
        erase_subjects(g.settings().agent.data_dir, g.spool(), request.domain, request.tokens, hold,
                       g.keyring().active_version(), audit_, caller);
    if (!outcome) return outcome;
    auto log = log::get("agent");
    log->info("erased domain={} tokens={} new_tokens={} erase_seq={} withheld_batches={}",
              outcome->domain, outcome->tokens, outcome->new_tokens, outcome->spool.seq,
              outcome->spool.withheld_batches);
    if (!outcome->audit_error.empty()) {
      log->error("the audit log did not record the erasure: {}", outcome->audit_error);
    }
    for (const auto& source : outcome->spool.sources_reset) g.collector().run_now(source);
    return outcome;
  });
  if (!erased) return tl::unexpected(erased.error());
  if (!*erased) return tl::unexpected(erased->error());
  return to_reply(**erased);
}

Result<std::string> ControlRequests::reload(const env::UserId& caller) {
  return reloads_.ask(caller);
}

void ControlRequests::begin_stopping() {
  stopping_ = true;
  reloads_.cancel();
}

}  // namespace ferry::app
