// ferry sync: poll sources once and spool what changed (delivery arrives with the uplink).
#include <chrono>
#include <mutex>
#include <optional>
#include <stop_token>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include "agent/app/audit_events.hpp"
#include "agent/app/data_dir_lock.hpp"
#include "agent/app/deadline.hpp"
#include "agent/app/generation.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/control_client.hpp"
#include "common/config/counted.hpp"
#include "common/config/duration.hpp"
#include "common/config/size.hpp"
#include "common/error/path_text.hpp"
#include "common/log/log.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    kConfigOption,
    {"source", 's', "NAME", "poll only this source (repeatable; default: all)", true},
    {"no-upload", '\0', "", "spool the rows and exit; send nothing"},
    {"allow-mass-delete", '\0', "", "send deletes that the mass-delete guard held"},
    {"timeout", '\0', "DUR", "give up (exit 1) when not done within DUR (default 10m)"},
    kHelpOption};

void print_report(const pipeline::RunReport& report, Io& io) {
  if (report.source_unchanged) {
    io.out << fmt::format("{}: nothing new since the last run\n", report.source);
    return;
  }
  for (const auto& stream : report.streams) {
    if (stream.skipped) {
      io.out << fmt::format("{}.{}: skipped (no field policy for this stream)\n", report.source,
                            stream.name);
      continue;
    }
    io.out << fmt::format("{}.{}: {} read, {} new or changed, {}, {} unchanged, {}, {}\n",
                          report.source, stream.name, config::counted(stream.rows_read, "row"),
                          stream.upserts, config::counted(stream.deletes, "delete"),
                          stream.unchanged, config::counted(stream.bad_rows, "bad row"),
                          config::counted(stream.bad_values, "bad value"));
    print_bad_values(stream.bad_value_fields, io);
    for (const auto& bad : stream.bad_row_examples) {
      io.err << fmt::format("  bad row at {}: {}\n", bad.location, bad.reason);
    }
    if (stream.bad_rows > stream.bad_row_examples.size()) {
      io.err << fmt::format(
          "  ... and {} more (see the log)\n",
          config::counted(stream.bad_rows - stream.bad_row_examples.size(), "bad row"));
    }
    if (stream.postponed_deletes > 0) {
      io.err << fmt::format(
          "  {} postponed: this stream had bad rows, so a missing row may only be "
          "unreadable. Fix the export; the first run without bad rows sends them.\n",
          config::counted(stream.postponed_deletes, "delete"));
    }
    if (stream.held_deletes > 0) {
      io.err << fmt::format(
          "  {} held: more than the mass-delete limit of this stream's rows vanished. "
          "Check the export; if it is right, run: ferry sync --source {} --allow-mass-delete\n",
          config::counted(stream.held_deletes, "delete"), report.source);
    }
  }
}

// Long work shows progress on stderr: on a terminal one line redrawn in place at most ten times
// a second; otherwise a plain line at most every five seconds (fit for logs and CI).
// A running agent with the uplink on delivers everything it spools: it cannot honour
// --no-upload, and doing the sync anyway would send what the admin asked to keep. (With
// uplink.enabled false nothing is sent either way, and the run is handed over.)
int refuse_no_upload(Io& io) {
  return fail(io, kExitFailure,
              "ferry sync: --no-upload cannot be honoured while the agent runs (it delivers "
              "everything it spools): run ferry sync without --no-upload, or stop the agent "
              "(systemctl stop ferry) to spool without sending");
}

class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}

  void source(std::string name) {
    finish_line();
    std::lock_guard lock(mutex_);
    name_ = std::move(name);
    rows_ = 0;
    batches_ = 0;
  }
  void polled(const std::string& name, std::uint64_t rows, std::uint64_t batches) {
    std::lock_guard lock(mutex_);
    name_ = name;
    rows_ = rows;
    batches_ = batches;
    show(false);
  }
  void acked(std::uint64_t acked) {
    std::lock_guard lock(mutex_);
    acked_ = acked;
    show(false);
  }
  // Ends a redrawn line so that what follows starts on its own.
  void finish_line() {
    std::lock_guard lock(mutex_);
    if (terminal_ && drawn_) out_ << '\n';
    drawn_ = false;
  }

 private:
  void show(bool force) {
    // Without a terminal (cron, a script) there is no progress line at all: the summary says it
    // all, and lines on stderr would interleave with it out of order in a captured output.
    if (!terminal_) return;
    const auto now = std::chrono::steady_clock::now();
    const auto every = std::chrono::milliseconds(100);
    if (!force && now - last_ < every) return;
    last_ = now;
    const std::string text = fmt::format(
        "{}: {} read, {} spooled, {} acked (this sync)", name_.empty() ? "delivery" : name_,
        config::counted(rows_, "row"), config::counted(batches_, "batch", "batches"),
        config::counted(acked_, "batch", "batches"));
    out_ << "\r\x1b[K" << text << std::flush;
    drawn_ = true;
  }

  std::mutex mutex_;  // sources run on the collector's workers, side by side
  std::ostream& out_;
  bool terminal_;
  bool drawn_ = false;
  std::string name_;
  std::uint64_t rows_ = 0;
  std::uint64_t batches_ = 0;
  std::uint64_t acked_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

// Nothing left to send: every batch acked (or parked as rejected) and every loss reported.
bool delivered(spool::Spool& spool) {
  auto stats = spool.stats();
  auto gaps = spool.gaps();
  return stats && gaps && stats->batches == stats->rejected && gaps->empty();
}

// How long a running agent may take to open its control socket (it opens its spool first).
constexpr config::Duration kAgentStarting = std::chrono::seconds(30);

// An agent runs and owns the data_dir (SPEC section 2): it polls the sources now and answers
// once those runs have ended (and, with the uplink on, the spool has drained); this command
// reports what it says.
int hand_to_agent(const config::Settings& settings, const std::vector<std::string>& wanted,
                  bool upload, config::Duration timeout, Io& io) {
  control::SyncWaitRequest request;
  request.sources = wanted;
  if (request.sources.empty()) {
    for (const auto& source : settings.sources) request.sources.push_back(source.name);
  }
  request.drain = upload;
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  io.out << fmt::format("the running agent owns {}: it was asked to poll {} now\n",
                        path_text(settings.agent.data_dir), fmt::join(request.sources, ", "));
  io.out.flush();
  const control::ControlClient agent(settings.agent.control_socket);
  if (auto answered = agent.ping_until(std::chrono::steady_clock::now() +
                                       std::min<config::Duration>(timeout, kAgentStarting));
      !answered) {
    return fail(io, kExitFailure, answered.error().message);
  }
  auto reply = agent.sync_wait(request);
  if (!reply && reply.error().code == ErrorCode::kInvalidArgument) {
    return fail(io, kExitFailure,
                fmt::format("{} (was {} changed without a reload? run: systemctl reload ferry)",
                            reply.error().message, path_text(settings.file)));
  }
  if (!reply) return fail(io, kExitFailure, reply.error().message);
  if (!reply->done) {
    return fail(io, kExitFailure,
                fmt::format("not done within --timeout {}: the agent goes on by itself (see "
                            "ferry status)",
                            config::format_duration(timeout)));
  }
  int exit_code = kExitOk;
  for (const auto& run : reply->runs) {
    if (!run.error.empty()) {
      io.err << fmt::format("ferry: source '{}': {}\n", run.name, run.error);
      exit_code = kExitFailure;
    } else {
      io.out << fmt::format("{}: {} read by the agent's run, {}, {}\n", run.name,
                            config::counted(run.rows_read, "row"),
                            config::counted(run.bad_rows, "bad row"),
                            config::counted(run.bad_values, "bad value"));
    }
  }
  io.out << fmt::format("spool: {} waiting, {}\n",
                        config::counted(reply->spool.batches, "batch", "batches"),
                        config::display_size(reply->spool.bytes));
  if (upload && !reply->uplink_refused.empty()) {
    fail(io, kExitFailure,
         fmt::format("not delivered: {}. What was spooled is kept, and the agent sends it once "
                     "this is fixed",
                     reply->uplink_refused));
    exit_code = kExitFailure;
  }
  if (upload && reply->spool.rejected > 0) {
    io.err << fmt::format("ferry: {} rejected by the tenant (see ferry status)\n",
                          config::counted(reply->spool.rejected, "batch was", "batches were"));
    exit_code = kExitFailure;
  }
  return exit_code;
}

int run(const ParsedArgs& args, Io& io) {
  config::Duration timeout = std::chrono::minutes(10);
  if (auto given = args.value("timeout")) {
    auto parsed = config::parse_duration(*given);
    if (!parsed || parsed->count() <= 0) {
      return fail(io, kExitUsage,
                  fmt::format("--timeout {}: expected a duration such as 30s, 10m or 1h", *given));
    }
    timeout = *parsed;
  }
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  // The log goes to agent.log.file only: this command prints its own summary.
  if (!setup_logging(*settings, io, log::StderrStyle::kOff)) return kExitFailure;
  const bool upload = !args.has("no-upload") && settings->uplink.enabled;
  if (!args.has("no-upload") && !settings->uplink.enabled) {
    io.err << "ferry: uplink.enabled is false: the rows are spooled and nothing is sent\n";
  }
  const auto wanted = args.values("source");
  for (const auto& name : wanted) {
    const bool known = std::any_of(settings->sources.begin(), settings->sources.end(),
                                   [&](const auto& s) { return s.name == name; });
    if (!known) {
      return fail(io, kExitUsage,
                  fmt::format("no source named '{}' in {}", name, path_text(settings->file)));
    }
  }
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  // As root on the service account's data_dir: only a running agent may do the work (not even
  // the lock file may be created as root there).
  if (foreign_data_dir_owner(*settings)) {
    std::error_code ec;
    if (std::filesystem::exists(settings->agent.control_socket, ec)) {
      if (args.has("no-upload") && settings->uplink.enabled) return refuse_no_upload(io);
      return hand_to_agent(*settings, wanted, upload, timeout, io);
    }
    if (!writes_as_data_dir_owner(*settings, io, "sync")) return kExitFailure;
  }
  auto lock = app::DataDirLock::acquire(settings->agent.data_dir);
  if (!lock && lock.error().code == ErrorCode::kUnavailable) {
    if (args.has("no-upload") && settings->uplink.enabled) return refuse_no_upload(io);
    if (args.has("allow-mass-delete")) {
      return fail(io, kExitFailure,
                  "--allow-mass-delete needs the data_dir to itself: stop the running agent "
                  "(systemctl stop ferry), run this sync, then start it again");
    }
    return hand_to_agent(*settings, wanted, upload, timeout, io);
  }
  if (!lock) return fail(io, kExitFailure, lock.error().message);

  ProgressPrinter printer(io.err, ::isatty(STDERR_FILENO) == 1);
  app::GenerationOptions options;
  options.collector.scheduled = false;  // only the runs asked for below
  options.collector.on_progress = [&printer](const std::string& source, std::uint64_t rows,
                                             std::uint64_t batches) {
    printer.polled(source, rows, batches);
  };
  options.collector.on_audit = [&settings](std::string_view event,
                                           const connectors::AuditFields& fields) {
    if (auto appended = append_audit(*settings, event, app::audit_object(fields)); !appended) {
      log::get("agent")->warn("cannot record {} in the audit log: {}", event,
                              appended.error().message);
    }
  };
  options.deliver = upload;
  options.on_command = [](const std::string&, const std::string&) {
    return uplink::CommandResult{false, "ferry sync is a one-shot run and takes no commands"};
  };
  app::Generation local(*settings, std::move(*keyring), std::move(options));
  if (auto opened = local.open_spool(); !opened) {
    return fail(io, kExitFailure, opened.error().message);
  }
  if (const auto& opened = local.spool_report(); opened.corrupt_moved_to) {
    io.err << fmt::format(
        "ferry: WARNING: the spool was damaged ({}); it was moved to {} and a new spool started. "
        "Sources will be read again from the beginning.\n",
        opened.corrupt_reason, opened.corrupt_moved_to->string());
  }
  if (auto built = local.build_collector(); !built) {
    return fail(io, kExitFailure, built.error().message);
  }
  if (auto built = local.build_uplink(); !built) return fail(io, kExitUsage, built.error().message);
  spool::Spool& spool = local.spool();
  uplink::Uplink* delivery = local.uplink();

  std::stop_source stop;
  std::optional<app::StopAtDeadline> watchdog(std::in_place, stop,
                                              std::chrono::steady_clock::now() + timeout);
  int exit_code = kExitOk;
  // Delivery runs beside polling, so a large first sync streams out as it is read.
  local.start();
  // A full spool (when_full: pause) drains to the tenant; then the source is read again.
  const auto results = local.collector().run_once(
      wanted, args.has("allow-mass-delete"),
      [&] { return delivery && !delivery->status().refused; }, stop.get_token());
  local.collector().stop();
  printer.finish_line();
  for (const auto& [name, outcome] : results) {
    if (outcome.kind == collector::RunEnd::Kind::kStopped) continue;
    if (outcome.report) print_report(*outcome.report, io);
    if (outcome.kind == collector::RunEnd::Kind::kPaused) {
      io.err << fmt::format("{}: the spool is full and nothing drains it\n", name);
    }
    if (outcome.kind != collector::RunEnd::Kind::kSucceeded) {
      fail(io, kExitFailure, fmt::format("source '{}': {}", name, outcome.problem));
    }
    // Held deletes (a success with a problem) were explained by print_report.
    if (!outcome.problem.empty()) exit_code = kExitFailure;
  }
  if (delivery && !stop.stop_requested()) {
    printer.source("");
    local.progress().wait(stop.get_token(), std::chrono::steady_clock::time_point::max(), [&] {
      const auto status = delivery->status();
      printer.acked(status.batches_acked);
      return delivered(spool) || status.refused;
    });
    printer.finish_line();
  }
  watchdog.reset();
  std::optional<uplink::Status> sent;
  if (delivery) {
    delivery->stop();
    sent = delivery->status();
  }
  if (sent && sent->refused && !stop.stop_requested()) {
    fail(io, kExitFailure,
         fmt::format("not delivered: {}. What was spooled is kept and goes out once this is fixed",
                     sent->last_error));
    exit_code = kExitFailure;
  }
  if (stop.stop_requested()) {
    fail(io, kExitFailure,
         fmt::format("not done within --timeout {}: what was spooled is kept, and the next sync "
                     "goes on from there",
                     config::format_duration(timeout)));
    exit_code = kExitFailure;
  }
  if (sent) {
    io.out << fmt::format("sent: {} acked by the tenant ({}, {})\n",
                          config::counted(sent->batches_acked, "batch", "batches"),
                          config::counted(sent->rows_acked, "row"),
                          config::display_size(sent->bytes_acked));
    if (stop.stop_requested() && !sent->last_error.empty()) {
      io.err << fmt::format("ferry: uplink: {}\n", sent->last_error);
    }
  }
  auto stats = spool.stats();
  if (stats) {
    io.out << fmt::format("spool: {} waiting, {}\n",
                          config::counted(stats->batches, "batch", "batches"),
                          config::display_size(stats->bytes));
    if (stats->rejected > 0) {
      io.err << fmt::format(
          "ferry: {} rejected by the tenant and parked in the spool (see the log for the "
          "reasons)\n",
          config::counted(stats->rejected, "batch was", "batches were"));
      if (upload) exit_code = kExitFailure;
    }
    if (stats->dropped_batches > 0) {
      io.err << fmt::format(
          "ferry: {} dropped to make room (spool.when_full: drop_oldest); the tenant will be "
          "told which\n",
          config::counted(stats->dropped_batches, "batch was", "batches were"));
    }
  }
  return exit_code;
}

}  // namespace

const CommandSpec& sync_command() {
  static const CommandSpec spec{
      .name = "sync",
      .summary = "poll sources once and deliver what changed",
      .usage =
          "ferry sync [-c FILE] [--source NAME]... [--no-upload] [--allow-mass-delete]\n"
          "                  [--timeout DUR]",
      .details =
          "Reads each source (or those named), applies the field policy, stores new, changed\n"
          "and deleted rows as sealed batches in the spool, and delivers the whole spool to\n"
          "the tenant (not with --no-upload). Exit 0 when every source was read and the spool\n"
          "is empty; 1 when a source failed, deletes were held, the tenant rejected a batch,\n"
          "or --timeout passed (what is spooled stays and goes out next time).",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
