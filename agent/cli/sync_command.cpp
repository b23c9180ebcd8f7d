// ferry sync: poll sources once and spool what changed (delivery arrives with the uplink).
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include "agent/app/spool_options.hpp"
#include "agent/collector/collector.hpp"
#include "agent/app/data_dir_lock.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/control_client.hpp"
#include "agent/uplink/uplink.hpp"
#include "common/config/duration.hpp"
#include "common/fs/atomic_file.hpp"
#include "connectors/registry/registry.hpp"

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
    io.out << fmt::format(
        "{}.{}: {} rows read, {} new or changed, {} deletes, {} unchanged, {} bad rows\n",
        report.source, stream.name, stream.rows_read, stream.upserts, stream.deletes,
        stream.unchanged, stream.bad_rows);
    for (const auto& bad : stream.bad_row_examples) {
      io.err << fmt::format("  bad row at {}: {}\n", bad.location, bad.reason);
    }
    if (stream.bad_rows > stream.bad_row_examples.size()) {
      io.err << fmt::format("  ... and {} more bad rows (see the log)\n",
                            stream.bad_rows - stream.bad_row_examples.size());
    }
    if (stream.postponed_deletes > 0) {
      io.err << fmt::format(
          "  {} deletes postponed: this stream had bad rows, so a missing row may only be "
          "unreadable. Fix the export; the first run without bad rows sends them.\n",
          stream.postponed_deletes);
    }
    if (stream.held_deletes > 0) {
      io.err << fmt::format(
          "  {} deletes held: more than the mass-delete limit of this stream's rows vanished. "
          "Check the export; if it is right, run: ferry sync --source {} --allow-mass-delete\n",
          stream.held_deletes, report.source);
    }
  }
}

// Wakes a waiting thread whenever the uplink makes progress (acks, rejections, settled gaps).
class ProgressSignal {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    cv_.notify_all();
  }
  // Waits until `done()` holds, re-checking it after each notify(); false when `stop` came first.
  template <class Predicate>
  bool wait(std::stop_token stop, Predicate done) {
    std::unique_lock lock(mutex_);
    for (;;) {
      const std::uint64_t seen = generation_;
      lock.unlock();
      if (done()) return true;
      lock.lock();
      if (!cv_.wait(lock, stop, [&] { return generation_ != seen; })) return false;
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::uint64_t generation_ = 0;
};

// Long work shows progress on stderr: on a terminal one line redrawn in place at most ten times
// a second; otherwise a plain line at most every five seconds (fit for logs and CI).
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
    const auto now = std::chrono::steady_clock::now();
    const auto every = terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5);
    if (!force && now - last_ < every) return;
    last_ = now;
    const std::string text =
        fmt::format("{}: {} rows read, {} batches spooled, {} batches acked (this sync)",
                    name_.empty() ? "delivery" : name_, rows_, batches_, acked_);
    if (terminal_) {
      out_ << "\r\x1b[K" << text << std::flush;
      drawn_ = true;
    } else {
      out_ << text << '\n';
    }
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

// Requests `stop` when `timeout` passes before the watchdog itself is stopped.
std::jthread start_watchdog(std::stop_source stop, config::Duration timeout) {
  return std::jthread([stop, timeout](std::stop_token done) mutable {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, done, timeout, [] { return false; }) && !done.stop_requested()) {
      stop.request_stop();
    }
  });
}

// A source's "runs" and "state" in the agent's status answer.
struct SourceRuns {
  std::uint64_t runs = 0;
  bool running = false;
};

Result<boost::json::object> agent_status(const std::filesystem::path& socket) {
  auto answer = control::request(socket, R"({"cmd":"status"})");
  if (!answer) return tl::unexpected(answer.error());
  boost::system::error_code ec;
  auto value = boost::json::parse(*answer, ec);
  if (ec || !value.is_object()) {
    return make_error(ErrorCode::kIo, "the agent's answer on {} is not a JSON object",
                      socket.string());
  }
  return std::move(value.as_object());
}

std::map<std::string, SourceRuns> source_runs(const boost::json::object& status) {
  std::map<std::string, SourceRuns> runs;
  const auto* sources = status.if_contains("sources");
  if (sources == nullptr || !sources->is_array()) return runs;
  for (const auto& item : sources->get_array()) {
    const auto* source = item.if_object();
    if (source == nullptr || !source->contains("name")) continue;
    SourceRuns entry;
    if (const auto* n = source->if_contains("runs"); n && n->is_number()) {
      entry.runs = n->to_number<std::uint64_t>();
    }
    if (const auto* state = source->if_contains("state"); state && state->is_string()) {
      entry.running = state->get_string() == "running";
    }
    runs[std::string(source->at("name").as_string())] = entry;
  }
  return runs;
}

std::uint64_t spool_number(const boost::json::object& status, std::string_view key) {
  const auto* spool = status.if_contains("spool");
  const auto* value = spool && spool->is_object() ? spool->as_object().if_contains(key) : nullptr;
  return value != nullptr && value->is_number() ? value->to_number<std::uint64_t>() : 0;
}

// An agent runs and owns the data_dir (SPEC section 2): it is asked to poll the sources now, and
// this command waits for those runs (and, with the uplink on, for the spool to drain), then
// reports what the agent says.
int hand_to_agent(const config::Settings& settings, const std::vector<std::string>& wanted,
                  bool upload, config::Duration timeout, Io& io) {
  const auto& socket = settings.agent.control_socket;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto before = agent_status(socket);
  if (!before) return fail(io, kExitFailure, before.error().message);
  std::vector<std::string> names = wanted;
  if (names.empty()) {
    for (const auto& source : settings.sources) names.push_back(source.name);
  }
  // Asks for a run of `name` now; the run to wait for is the next one to end (the one after a
  // run in progress, which may have read past what changed).
  std::map<std::string, std::uint64_t> target;
  std::map<std::string, std::uint64_t> seen;  // the last count seen: a fall means a reload
  auto ask = [&](const std::string& name, SourceRuns now) -> Result<void> {
    target[name] = now.runs + (now.running ? 2 : 1);
    seen[name] = now.runs;
    const std::string request =
        boost::json::serialize(boost::json::object{{"cmd", "sync_now"}, {"source", name}});
    auto answer = control::request(socket, request);
    if (!answer) return tl::unexpected(answer.error());
    boost::system::error_code ec;
    auto parsed = boost::json::parse(*answer, ec);
    const auto* object = ec ? nullptr : parsed.if_object();
    const auto* ok = object ? object->if_contains("ok") : nullptr;
    if (ok == nullptr || !ok->is_bool() || !ok->get_bool()) {
      const auto* error = object ? object->if_contains("error") : nullptr;
      return make_error(ErrorCode::kInvalidArgument, "the running agent refused: {}",
                        error && error->is_string() ? std::string(error->get_string())
                                                    : std::string("no reason given"));
    }
    return {};
  };
  const auto runs_before = source_runs(*before);
  for (const auto& name : names) {
    const auto found = runs_before.find(name);
    if (auto asked = ask(name, found == runs_before.end() ? SourceRuns{} : found->second); !asked) {
      return fail(io, kExitFailure,
                  fmt::format("{} (was {} changed without a reload? run: systemctl reload ferry)",
                              asked.error().message, settings.file.string()));
    }
  }
  io.out << fmt::format("the running agent owns {}: it was asked to poll {} now\n",
                        settings.agent.data_dir.string(), fmt::join(names, ", "));
  boost::json::object last;
  for (;;) {
    auto status = agent_status(socket);
    if (!status) return fail(io, kExitFailure, status.error().message);
    last = std::move(*status);
    const auto runs = source_runs(last);
    bool polled = true;
    for (const auto& name : names) {
      const auto found = runs.find(name);
      if (found != runs.end() && found->second.runs < seen[name]) {
        // The agent reloaded (its counts start again): ask once more.
        if (auto asked = ask(name, found->second); !asked) {
          return fail(io, kExitFailure, asked.error().message);
        }
      }
      if (found != runs.end()) seen[name] = std::max(seen[name], found->second.runs);
      polled = polled && found != runs.end() && found->second.runs >= target[name];
    }
    const bool drained = !upload || spool_number(last, "batches") == spool_number(last, "rejected");
    if (polled && drained) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(io, kExitFailure,
                  fmt::format("not done within --timeout {}: the agent goes on by itself (see "
                              "ferry status)",
                              config::format_duration(timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling the agent's status
  }
  int exit_code = kExitOk;
  for (const auto& item : last.at("sources").as_array()) {
    const auto& source = item.as_object();
    const std::string name(source.at("name").as_string());
    if (!target.contains(name)) continue;
    const auto& error = source.at("last_error");
    if (error.is_string()) {
      io.err << fmt::format("ferry: source '{}': {}\n", name, error.as_string());
      exit_code = kExitFailure;
    } else {
      io.out << fmt::format("{}: {} rows read by the agent's run\n", name,
                            source.at("rows_last_run").to_number<std::uint64_t>());
    }
  }
  io.out << fmt::format("spool: {} batches waiting, {} bytes\n", spool_number(last, "batches"),
                        spool_number(last, "bytes"));
  if (upload && spool_number(last, "rejected") > 0) {
    io.err << fmt::format("ferry: {} batches were rejected by the tenant (see ferry status)\n",
                          spool_number(last, "rejected"));
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
                  fmt::format("no source named '{}' in {}", name, settings->file.string()));
    }
  }
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  auto lock = app::DataDirLock::acquire(settings->agent.data_dir);
  if (!lock && lock.error().code == ErrorCode::kUnavailable) {
    if (args.has("allow-mass-delete")) {
      return fail(io, kExitFailure,
                  "--allow-mass-delete needs the data_dir to itself: stop the running agent "
                  "(systemctl stop ferry), run this sync, then start it again");
    }
    return hand_to_agent(*settings, wanted, upload, timeout, io);
  }
  if (!lock) return fail(io, kExitFailure, lock.error().message);

  spool::OpenReport opened;
  auto spool = spool::Spool::open(app::spool_options(*settings), opened);
  if (!spool) return fail(io, kExitFailure, spool.error().message);
  if (opened.corrupt_moved_to) {
    io.err << fmt::format(
        "ferry: WARNING: the spool was damaged ({}); it was moved to {} and a new spool started. "
        "Sources will be read again from the beginning.\n",
        opened.corrupt_reason, opened.corrupt_moved_to->string());
  }
  ProgressPrinter printer(io.err, ::isatty(STDERR_FILENO) == 1);
  collector::CollectorOptions collect;
  collect.scheduled = false;  // only the runs asked for below
  collect.on_progress = [&printer](const std::string& source, std::uint64_t rows,
                                   std::uint64_t batches) { printer.polled(source, rows, batches); };
  auto sources = collector::Collector::create(*settings, **spool, *keyring, collect);
  if (!sources) return fail(io, kExitFailure, sources.error().message);

  // Delivery runs beside polling, so a large first sync streams out as it is read.
  ProgressSignal progress;
  std::unique_ptr<uplink::Uplink> delivery;
  if (upload) {
    uplink::Hooks hooks;
    hooks.on_progress = [&progress, collecting = sources->get()] {
      collecting->spool_progress();
      progress.notify();
    };
    hooks.on_command = [](const std::string&, const std::string&) {
      return uplink::CommandResult{false, "ferry sync is a one-shot run and takes no commands"};
    };
    auto made = uplink::Uplink::create(*settings, **spool, std::move(hooks));
    if (!made) return fail(io, kExitUsage, made.error().message);
    delivery = std::move(*made);
    (*spool)->set_commit_listener([sender = delivery.get()] { sender->notify(); });
    delivery->start();
  }

  std::stop_source stop;
  auto watchdog = start_watchdog(stop, timeout);
  int exit_code = kExitOk;
  (*sources)->start();
  // A full spool (when_full: pause) drains to the tenant; then the source is read again.
  const auto results = (*sources)->run_once(
      wanted, args.has("allow-mass-delete"),
      [&] { return delivery && !delivery->status().refused; }, stop.get_token());
  (*sources)->stop();
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
    progress.wait(stop.get_token(), [&] {
      const auto status = delivery->status();
      printer.acked(status.batches_acked);
      return delivered(**spool) || status.refused;
    });
    printer.finish_line();
  }
  watchdog.request_stop();
  watchdog.join();
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
    io.out << fmt::format("sent: {} batches acked by the tenant ({} rows, {} bytes)\n",
                          sent->batches_acked, sent->rows_acked, sent->bytes_acked);
    if (stop.stop_requested() && !sent->last_error.empty()) {
      io.err << fmt::format("ferry: uplink: {}\n", sent->last_error);
    }
  }
  auto stats = (*spool)->stats();
  if (stats) {
    io.out << fmt::format("spool: {} batches waiting, {} bytes\n", stats->batches, stats->bytes);
    if (stats->rejected > 0) {
      io.err << fmt::format(
          "ferry: {} batches were rejected by the tenant and are parked in the spool (see the "
          "log for the reasons)\n",
          stats->rejected);
      if (upload) exit_code = kExitFailure;
    }
    if (stats->dropped_batches > 0) {
      io.err << fmt::format(
          "ferry: {} batches were dropped to make room (spool.when_full: drop_oldest); the "
          "tenant will be told which\n",
          stats->dropped_batches);
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
