#include "agent/metrics/metrics.hpp"

#include <array>
#include <cassert>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "agent/collector/staleness.hpp"
#include "common/keys/key_age.hpp"

namespace ferry::metrics {
namespace {

using Clock = std::chrono::system_clock;

// The text being built: each family's # HELP and # TYPE once, then its samples.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    out_ += fmt::format("{}{} {}\n", name, labels, value);
  }
  // A family of one sample without labels.
  void single(std::string_view name, std::string_view type, std::string_view help,
              std::uint64_t value) {
    family(name, type, help);
    sample(name, "", value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// {a="x",b="y"}
std::string labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string text = "{";
  for (const auto& [name, value] : pairs) {
    if (text.size() > 1) text += ',';
    text += fmt::format("{}=\"{}\"", name, escape_label_value(value));
  }
  return text + "}";
}

std::uint64_t unix_seconds(Clock::time_point time) {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  return seconds < 0 ? 0 : static_cast<std::uint64_t>(seconds);
}

std::uint64_t seconds_between(std::int64_t earlier_unix, Clock::time_point later) {
  const auto later_unix = static_cast<std::int64_t>(unix_seconds(later));
  return later_unix > earlier_unix ? static_cast<std::uint64_t>(later_unix - earlier_unix) : 0;
}

// Seconds since the epoch of an RFC 3339 UTC time ("2026-11-01T09:00:00Z"); nullopt when it does
// not parse.
std::optional<std::int64_t> parse_rfc3339(const std::string& text) {
  const auto time = ferry::keys::parse_rfc3339(text);
  if (!time) return std::nullopt;
  return std::chrono::floor<std::chrono::seconds>(*time).time_since_epoch().count();
}

void render_agent(Exposition& out, const control::StatusInputs& in) {
  const config::AgentSettings& agent = in.settings->agent;
  out.family("ferry_build_info", "gauge",
             "Always 1; the labels say which Ferry version runs, for which agent and tenant.");
  out.sample("ferry_build_info",
             labels({{"version", FERRY_VERSION}, {"agent", agent.id}, {"tenant", agent.tenant}}),
             1);
  out.single("ferry_start_time_seconds", "gauge",
             "When the agent started, in seconds since the Unix epoch.", unix_seconds(in.started));
}

void render_uplink(Exposition& out, const control::StatusInputs& in) {
  const uplink::Status status = in.uplink.value_or(uplink::Status{});
  out.family("ferry_uplink_state", "gauge",
             "1 for the uplink's current state, 0 for the others (disabled: uplink.enabled is "
             "false).");
  for (const auto state : {uplink::State::kConnected, uplink::State::kConnecting,
                           uplink::State::kBackoff, uplink::State::kDisabled}) {
    out.sample("ferry_uplink_state", labels({{"state", uplink::to_string(state)}}),
               state == status.state ? 1 : 0);
  }
  out.single("ferry_uplink_connects_total", "counter",
             "Connections to the tenant that reached welcome since the agent started (more than "
             "one means reconnects).",
             status.connects);
  out.single("ferry_uplink_batches_sent_total", "counter",
             "Batch frames written to the tenant, resends included.", status.batches_sent);
  out.single("ferry_uplink_batches_acked_total", "counter", "Batches the tenant acknowledged.",
             status.batches_acked);
  out.single("ferry_uplink_rows_sent_total", "counter",
             "Rows in the batches the tenant acknowledged.", status.rows_acked);
  out.single("ferry_uplink_bytes_sent_total", "counter",
             "Bytes of the batches the tenant acknowledged.", status.bytes_acked);
  out.single("ferry_uplink_batches_rejected_total", "counter",
             "Batches the tenant rejected (they stay in the spool as rejected).",
             status.batches_rejected);
  out.single("ferry_uplink_acked_seq", "gauge",
             "The tenant holds every batch up to this sequence number.", status.acked_through);
}

void render_spool(Exposition& out, const control::StatusInputs& in) {
  out.single("ferry_spool_max_bytes", "gauge", "The spool's size limit (spool.max_bytes).",
             in.settings->spool.max_bytes);
  if (!in.spool) return;  // unreadable: the log says why; no numbers rather than wrong ones
  const spool::Stats& stats = *in.spool;
  out.single("ferry_spool_batches", "gauge", "Batches waiting in the spool, rejected included.",
             stats.batches);
  out.single("ferry_spool_bytes", "gauge", "Bytes of the batches waiting in the spool.",
             stats.bytes);
  out.single(
      "ferry_spool_oldest_age_seconds", "gauge",
      "Age of the oldest batch waiting in the spool; 0 when it is empty.",
      stats.oldest_created_unix == 0 ? 0 : seconds_between(stats.oldest_created_unix, in.now));
  out.single("ferry_spool_rejected_batches", "gauge",
             "Batches in the spool that the tenant rejected.", stats.rejected);
  out.single("ferry_spool_dropped_batches_total", "counter",
             "Batches dropped unsent to make room (spool.when_full: drop_oldest), ever.",
             stats.dropped_batches);
  out.single("ferry_spool_next_seq", "gauge", "The sequence number the next spooled batch gets.",
             stats.next_seq);
}

struct SourceFamily {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  std::uint64_t (*value)(const collector::SourceStatus&);
};

std::uint64_t last_success(const collector::SourceStatus& state) {
  return state.last_success ? unix_seconds(*state.last_success) : 0;
}

constexpr std::array kSourceFamilies{
    SourceFamily{"ferry_source_runs_total", "counter", "Runs of the source that ended.",
                 [](const collector::SourceStatus& s) { return s.runs_total; }},
    SourceFamily{"ferry_source_errors_total", "counter", "Runs of the source that failed.",
                 [](const collector::SourceStatus& s) { return s.errors_total; }},
    SourceFamily{"ferry_source_rows_read_total", "counter", "Rows read from the source.",
                 [](const collector::SourceStatus& s) { return s.rows_read_total; }},
    SourceFamily{"ferry_source_rows_spooled_total", "counter",
                 "Changed rows (upserts and deletes) written to the spool.",
                 [](const collector::SourceStatus& s) { return s.rows_spooled_total; }},
    SourceFamily{"ferry_source_rows_suppressed_total", "counter",
                 "Rows of erased subjects that were not sent.",
                 [](const collector::SourceStatus& s) { return s.rows_suppressed_total; }},
    SourceFamily{"ferry_source_bad_rows_total", "counter",
                 "Rows the source could not read (the log shows examples).",
                 [](const collector::SourceStatus& s) { return s.bad_rows_total; }},
    SourceFamily{
        "ferry_source_bad_values_total", "counter",
        "Values the field policy could not carry as they are: written as null (a date "
        "generalize cannot read) or with invalid UTF-8 replaced (the log names the field).",
        [](const collector::SourceStatus& s) { return s.bad_values_total; }},
    SourceFamily{"ferry_source_batches_total", "counter", "Batches of the source spooled.",
                 [](const collector::SourceStatus& s) { return s.batches_total; }},
    SourceFamily{"ferry_source_rows_last_run", "gauge",
                 "Rows read by the source's last successful run.",
                 [](const collector::SourceStatus& s) { return s.rows; }},
    SourceFamily{"ferry_source_last_success_timestamp_seconds", "gauge",
                 "End of the source's last successful run, in seconds since the Unix epoch; 0 "
                 "when no run succeeded yet.",
                 last_success},
    SourceFamily{"ferry_source_last_change_timestamp_seconds", "gauge",
                 "End of the source's last run that spooled changed rows (upserts or deletes), "
                 "in seconds since the Unix epoch; 0 when no change was seen yet. Kept across "
                 "restarts.",
                 [](const collector::SourceStatus& s) -> std::uint64_t {
                   return s.last_change ? unix_seconds(*s.last_change) : 0;
                 }},
    SourceFamily{"ferry_source_rows_last_change", "gauge",
                 "Changed rows (upserts and deletes) spooled by that run.",
                 [](const collector::SourceStatus& s) { return s.rows_last_change; }},
    SourceFamily{
        "ferry_source_stale_after_seconds", "gauge",
        "The source's stale_after; 0 when it has none (never stale).",
        [](const collector::SourceStatus& s) -> std::uint64_t {
          return s.stale_after
                     ? static_cast<std::uint64_t>(
                           std::chrono::duration_cast<std::chrono::seconds>(*s.stale_after).count())
                     : 0;
        }},
    SourceFamily{"ferry_source_last_run_error", "gauge",
                 "1 when the source's last run ended with an error (ferry status shows it).",
                 [](const collector::SourceStatus& s) -> std::uint64_t {
                   return s.last_error.empty() ? 0 : 1;
                 }},
    SourceFamily{
        "ferry_source_running", "gauge", "1 while a run of the source is in progress.",
        [](const collector::SourceStatus& s) -> std::uint64_t { return s.running ? 1 : 0; }},
    SourceFamily{"ferry_source_next_attempt_timestamp_seconds", "gauge",
                 "When the source runs next (its schedule, or a retry after a failure), in "
                 "seconds since the Unix epoch.",
                 [](const collector::SourceStatus& s) { return unix_seconds(s.next_run); }},
    SourceFamily{
        "ferry_source_consecutive_failures", "gauge",
        "Failed runs of the source since its last success (retries back off).",
        [](const collector::SourceStatus& s) -> std::uint64_t { return s.consecutive_failures; }},
    SourceFamily{
        "ferry_source_paused", "gauge",
        "1 while the source is paused: the spool is full (spool.when_full: pause), or the "
        "disk under it (ferry_source_disk_full).",
        [](const collector::SourceStatus& s) -> std::uint64_t { return s.paused ? 1 : 0; }},
    SourceFamily{
        "ferry_source_disk_full", "gauge",
        "1 while the source waits for space on the disk of the data_dir (it tries again "
        "every 5 s).",
        [](const collector::SourceStatus& s) -> std::uint64_t { return s.disk_full ? 1 : 0; }},
};

std::string_view type_of(const config::Settings& settings, const std::string& source) {
  for (const auto& configured : settings.sources) {
    if (configured.name == source) return configured.type;
  }
  return "";
}

void render_sources(Exposition& out, const control::StatusInputs& in) {
  std::vector<std::string> source_labels;
  for (const collector::SourceStatus& state : in.sources) {
    source_labels.push_back(
        labels({{"source", state.name}, {"type", type_of(*in.settings, state.name)}}));
  }
  for (const SourceFamily& family : kSourceFamilies) {
    out.family(family.name, family.type, family.help);
    for (std::size_t i = 0; i < in.sources.size(); ++i) {
      out.sample(family.name, source_labels[i], family.value(in.sources[i]));
    }
  }
  // Needs the time: the same rule as ferry status and ferry check (collector/staleness.hpp).
  out.family("ferry_source_stale", "gauge",
             "1 when the source's data has not changed for longer than its stale_after (check "
             "the export job that feeds it); 0 otherwise, and always 0 without stale_after.");
  for (std::size_t i = 0; i < in.sources.size(); ++i) {
    out.sample("ferry_source_stale", source_labels[i],
               collector::is_stale(in.sources[i], in.now) ? 1 : 0);
  }
}

void render_keys(Exposition& out, const control::StatusInputs& in) {
  out.single(
      "ferry_key_active_version", "gauge",
      "Version of the active key in keyring.json (the one that makes pseudonyms and hashes).",
      in.key_version);
  // Only with agent.key_rotation_period: alert on ferry_key_age_seconds above it.
  if (const auto& period = in.settings->agent.key_rotation_period) {
    out.single("ferry_key_rotation_period_seconds", "gauge",
               "agent.key_rotation_period: the active key is due for rotation once older.",
               static_cast<std::uint64_t>(
                   std::chrono::duration_cast<std::chrono::seconds>(*period).count()));
  }
  const auto created = parse_rfc3339(in.key_created);
  if (!created) return;
  out.single("ferry_key_age_seconds", "gauge",
             "Age of the active key (rotate with ferry keys rotate).",
             seconds_between(*created, in.now));
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string text;
  text.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      text += "\\\\";
    } else if (c == '"') {
      text += "\\\"";
    } else if (c == '\n') {
      text += "\\n";
    } else {
      text += c;
    }
  }
  return text;
}

std::string render_metrics(const control::StatusInputs& inputs) {
  assert(inputs.settings != nullptr);
  Exposition out;
  render_agent(out, inputs);
  render_uplink(out, inputs);
  render_spool(out, inputs);
  render_sources(out, inputs);
  render_keys(out, inputs);
  return out.take();
}

}  // namespace ferry::metrics
