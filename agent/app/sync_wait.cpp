#include "agent/app/sync_wait.hpp"

#include <algorithm>
#include <mutex>

#include "agent/app/deadline.hpp"

namespace ferry::app {
namespace {

std::string outcome_name(collector::RunEnd::Kind kind) {
  switch (kind) {
    case collector::RunEnd::Kind::kSucceeded:
      return "succeeded";
    case collector::RunEnd::Kind::kFailed:
      return "failed";
    case collector::RunEnd::Kind::kPaused:
      return "paused";
    case collector::RunEnd::Kind::kStopped:
      break;
  }
  return "stopped";
}

control::RunReply reply_of(const collector::OnceResult& result) {
  control::RunReply run;
  run.name = result.source;
  run.outcome = outcome_name(result.outcome.kind);
  run.error = result.outcome.problem;
  if (result.outcome.report) {
    for (const auto& stream : result.outcome.report->streams) {
      run.rows_read += stream.rows_read;
      run.bad_rows += stream.bad_rows;
      run.bad_values += stream.bad_values;
    }
  }
  return run;
}

// Nothing left to send: every batch acked, or parked as rejected.
bool drained(spool::Spool& spool) {
  auto stats = spool.stats();
  return stats && stats->batches == stats->rejected;
}

}  // namespace

Result<SyncWaitResult> sync_and_wait(Generation& generation,
                                     const control::SyncWaitRequest& request,
                                     std::chrono::steady_clock::time_point deadline,
                                     std::stop_token stop) {
  const auto& sources = generation.settings().sources;
  for (const auto& name : request.sources) {
    if (std::none_of(sources.begin(), sources.end(),
                     [&](const auto& s) { return s.name == name; })) {
      return make_error(ErrorCode::kNotFound, "no source named '{}'", name);
    }
  }
  SyncWaitResult result;
  std::stop_source give_up;
  std::stop_callback forward(stop, [&give_up] { give_up.request_stop(); });
  StopAtDeadline timer(give_up, deadline);
  // Another sync_wait's runs may take the whole time: then none of these started.
  if (!generation.take_once_turn(give_up.get_token(), deadline)) {
    result.interrupted = stop.stop_requested();
    return result;
  }
  auto* uplink = generation.uplink();
  const auto runs = generation.collector().run_once(
      request.sources, false, [uplink] { return uplink != nullptr && !uplink->status().refused; },
      give_up.get_token());
  generation.return_once_turn();
  for (const auto& run : runs) result.reply.runs.push_back(reply_of(run));
  bool done = std::none_of(runs.begin(), runs.end(), [](const collector::OnceResult& run) {
    return run.outcome.kind == collector::RunEnd::Kind::kStopped;
  });
  if (done && request.drain && uplink != nullptr) {
    // A refusal that retrying will not fix ends the wait at once: the caller learns why now,
    // not at its timeout. The agent goes on retrying by itself.
    done = generation.progress().wait(give_up.get_token(), deadline, [&] {
      return drained(generation.spool()) || uplink->status().refused;
    });
    if (done && !drained(generation.spool())) {
      const auto status = uplink->status();
      if (status.refused) result.reply.uplink_refused = status.last_error;
    }
  }
  result.reply.done = done;
  result.interrupted = !done && stop.stop_requested();
  if (auto stats = generation.spool().stats()) {
    result.reply.spool = {stats->batches, stats->bytes, stats->rejected};
  }
  return result;
}

}  // namespace ferry::app
