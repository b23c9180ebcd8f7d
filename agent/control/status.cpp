#include "agent/control/status.hpp"

#include <ctime>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "agent/collector/staleness.hpp"
#include "agent/control/json_fields.hpp"
#include "common/config/counted.hpp"
#include "common/config/duration.hpp"
#include "common/config/size.hpp"
#include "common/keys/key_age.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::control {
namespace {

namespace json = boost::json;

json::value time_or_null(const std::optional<std::chrono::system_clock::time_point>& time) {
  if (!time) return nullptr;
  return json::value(keys::format_rfc3339(*time));
}

// Days since an RFC 3339 time ("2026-11-01T09:00:00Z"); nullopt when it does not parse.
std::optional<std::int64_t> days_since(const std::string& rfc3339,
                                       std::chrono::system_clock::time_point now) {
  const auto then = keys::parse_rfc3339(rfc3339);
  if (!then) return std::nullopt;
  const auto age = now - *then;
  return std::chrono::duration_cast<std::chrono::hours>(age).count() / 24;
}

std::string format_bytes(std::uint64_t bytes) { return config::display_size(bytes); }

std::string format_age(std::int64_t seconds) {
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{}s", seconds / 60, seconds % 60);
  if (seconds < 86400) return fmt::format("{}h{}m", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{}d{}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string string_of(const json::object& object, std::string_view key,
                      std::string_view if_null = "-") {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string(if_null);
  if (const auto* text = value->if_string()) return std::string(*text);
  return json::serialize(*value);
}

// "2026-11-23T10:00:00Z" -> "2026-11-23 10:00:00Z"; "-" for null.
std::string short_time(const json::object& object, std::string_view key) {
  std::string text = string_of(object, key);
  if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
  return text;
}

bool true_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

// One line per stale source: since when its data has not changed, and what to do.
std::string stale_lines(const json::object& status) {
  std::string lines;
  const json::value* sources = status.if_contains("sources");
  if (sources == nullptr || !sources->is_array()) return lines;
  for (const json::value& value : sources->get_array()) {
    if (!value.is_object() || !true_at(value.get_object(), "stale")) continue;
    const json::object& source = value.get_object();
    const bool changed = string_of(source, "last_change_at", "") != "";
    const std::string since =
        changed ? fmt::format("no change since {}", short_time(source, "last_change_at"))
                : fmt::format("no change seen since its first run at {}",
                              short_time(source, "first_success_at"));
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::seconds(number_at(source, "stale_after_s")));
    lines += fmt::format(
        "source {} stale: {} (stale_after {}): check that the export job feeding it still "
        "runs\n",
        string_of(source, "name"), since, collector::format_stale_after(after));
  }
  return lines;
}

}  // namespace

json::object status_json(const StatusInputs& in) {
  const config::Settings& settings = *in.settings;
  json::object status;
  status["agent_id"] = settings.agent.id;
  status["tenant_id"] = settings.agent.tenant;
  status["version"] = FERRY_VERSION;
  status["pid"] = static_cast<std::int64_t>(::getpid());
  status["uptime_s"] =
      std::chrono::duration_cast<std::chrono::seconds>(in.now - in.started).count();

  json::object uplink;
  if (in.uplink) {
    uplink["state"] = std::string(uplink::to_string(in.uplink->state));
    uplink["url"] = in.uplink->url;
    uplink["tls_version"] = text_or_null(in.uplink->tls_version);
    uplink["acked_through"] = in.uplink->acked_through;
    uplink["last_error"] = text_or_null(in.uplink->last_error);
    uplink["next_attempt_at"] = time_or_null(in.uplink->next_attempt);
    uplink["connects"] = in.uplink->connects;
    uplink["batches_sent"] = in.uplink->batches_sent;
    uplink["batches_acked"] = in.uplink->batches_acked;
    uplink["rows_acked"] = in.uplink->rows_acked;
    uplink["bytes_acked"] = in.uplink->bytes_acked;
    // Which tenant public key new batches are sealed to (docs/protocol.md).
    uplink["sealing_key_id"] = text_or_null(in.uplink->sealing_key_id);
    uplink["last_delivered_at"] = time_or_null(in.uplink->last_delivered);
  } else {
    uplink["state"] = "disabled";
    uplink["url"] = settings.uplink.url;
    uplink["tls_version"] = nullptr;
    uplink["acked_through"] = 0;
    uplink["last_error"] = nullptr;
    uplink["sealing_key_id"] = nullptr;
  }
  status["uplink"] = std::move(uplink);

  json::object spool;
  const spool::Stats stats = in.spool.value_or(spool::Stats{});
  spool["batches"] = stats.batches;
  spool["bytes"] = stats.bytes;
  const std::int64_t now_unix =
      std::chrono::duration_cast<std::chrono::seconds>(in.now.time_since_epoch()).count();
  spool["oldest_age_s"] = stats.oldest_created_unix == 0
                              ? 0
                              : std::max<std::int64_t>(0, now_unix - stats.oldest_created_unix);
  spool["max_bytes"] = settings.spool.max_bytes;
  spool["rejected"] = stats.rejected;
  spool["dropped_batches"] = stats.dropped_batches;
  spool["next_seq"] = stats.next_seq;
  if (!in.spool) spool["error"] = "the spool could not be read; see the log";
  status["spool"] = std::move(spool);

  json::array sources;
  for (const collector::SourceStatus& state : in.sources) {
    json::object source;
    source["name"] = state.name;
    std::string type = state.type;
    for (const auto& configured : settings.sources) {
      if (type.empty() && configured.name == state.name) type = configured.type;
    }
    source["type"] = type;
    source["state"] = state.running ? "running" : (state.last_error.empty() ? "idle" : "error");
    source["last_run_at"] = time_or_null(state.last_run);
    source["last_success_at"] = time_or_null(state.last_success);
    source["next_run_at"] = keys::format_rfc3339(state.next_run);
    source["rows_last_run"] = state.rows;
    source["last_error"] = text_or_null(state.last_error);
    source["last_change_at"] = time_or_null(state.last_change);
    source["rows_last_change"] = state.rows_last_change;
    // Staleness (collector/staleness.hpp): stale_after_s is the source's stale_after, null when
    // unset; first_success_at is what it counts from before any change was seen.
    source["first_success_at"] = time_or_null(state.first_success);
    source["stale_after_s"] =
        state.stale_after
            ? json::value(
                  std::chrono::duration_cast<std::chrono::seconds>(*state.stale_after).count())
            : json::value(nullptr);
    source["stale"] = collector::is_stale(state, in.now);
    source["failure_class"] = text_or_null(std::string(collector::to_string(state.failure)));
    source["consecutive_failures"] = state.consecutive_failures;
    source["retrying"] = state.retrying;  // next_run_at is a retry after a failure
    source["paused"] = state.paused;
    // Why: the spool reached spool.max_bytes, or the disk under it has no space.
    source["paused_for"] = state.paused ? json::value(state.disk_full ? "disk_full" : "spool_full")
                                        : json::value(nullptr);
    source["runs"] = state.runs_total;  // runs ended since the agent started
    json::array streams;
    for (const collector::StreamStatus& stream : state.streams) {
      json::object entry;
      entry["name"] = stream.name;
      entry["state"] = state.running ? "running" : (stream.last_error.empty() ? "idle" : "error");
      entry["rows_last_run"] = stream.rows_last_run;
      entry["last_success_at"] = time_or_null(stream.last_success);
      entry["last_error"] = text_or_null(stream.last_error);
      entry["bad_rows"] = stream.bad_rows;      // of its last run
      entry["bad_values"] = stream.bad_values;  // of its last run
      streams.push_back(std::move(entry));
    }
    source["streams"] = std::move(streams);
    sources.push_back(std::move(source));
  }
  status["sources"] = std::move(sources);

  json::object keys;
  keys["active_version"] = in.key_version;
  keys["active_created"] = in.key_created;
  const auto age = days_since(in.key_created, in.now);
  keys["active_age_days"] = age ? json::value(*age) : json::value(nullptr);
  // agent.key_rotation_period: none by default, and then a key is never due.
  const auto& period = settings.agent.key_rotation_period;
  const auto key_age = ferry::keys::key_age(in.key_created, in.now, period);
  keys["rotation_period"] =
      period ? json::value(config::format_duration(*period)) : json::value(nullptr);
  keys["rotation_due"] = key_age && key_age->rotation_due;
  // The last rotation is done for the tenant once it has acknowledged every map.
  keys["rekey_batches_pending"] = in.rekey_batches_pending;
  status["keys"] = std::move(keys);
  return status;
}

std::string render_status(const json::object& status) {
  std::string out;
  out += fmt::format("ferry {}  agent {} (tenant {})  pid {}  up {}\n",
                     string_of(status, "version"), string_of(status, "agent_id"),
                     string_of(status, "tenant_id"), string_of(status, "pid"),
                     format_age(static_cast<std::int64_t>(number_at(status, "uptime_s"))));

  const json::object& uplink = object_at(status, "uplink");
  const std::string state = string_of(uplink, "state");
  std::string line = fmt::format("uplink   {}", state);
  if (state == "connected") line += fmt::format(" ({})", string_of(uplink, "tls_version"));
  line += fmt::format("  {}  acked through seq {}", string_of(uplink, "url"),
                      number_at(uplink, "acked_through"));
  if (const json::value* delivered = uplink.if_contains("last_delivered_at");
      delivered != nullptr && delivered->is_string()) {
    line += fmt::format(", last delivered {}", short_time(uplink, "last_delivered_at"));
  } else if (state != "disabled") {
    line += ", last delivered: nothing since the agent started";
  }
  if (state == "backoff")
    line += fmt::format("  next attempt {}", short_time(uplink, "next_attempt_at"));
  out += line + "\n";
  if (const std::string error = string_of(uplink, "last_error", ""); !error.empty()) {
    out += fmt::format("         last error: {}\n", error);
  }

  const json::object& spool = object_at(status, "spool");
  out += fmt::format("spool    {}, {} of {}, oldest {}, {} rejected\n",
                     config::counted(number_at(spool, "batches"), "batch", "batches"),
                     format_bytes(number_at(spool, "bytes")),
                     format_bytes(number_at(spool, "max_bytes")),
                     format_age(static_cast<std::int64_t>(number_at(spool, "oldest_age_s"))),
                     number_at(spool, "rejected"));

  const json::object& keys = object_at(status, "keys");
  out += fmt::format("keys     active version {}, created {}", number_at(keys, "active_version"),
                     short_time(keys, "active_created"));
  if (const json::value* age = keys.if_contains("active_age_days"); age && !age->is_null()) {
    out += fmt::format(" ({} ago)", config::counted(number_at(keys, "active_age_days"), "day"));
  }
  if (const json::value* due = keys.if_contains("rotation_due");
      due && due->is_bool() && due->get_bool()) {
    out +=
        fmt::format("  WARNING: older than agent.key_rotation_period ({}): run ferry keys rotate",
                    string_of(keys, "rotation_period"));
  }
  if (const auto pending = number_at(keys, "rekey_batches_pending"); pending > 0) {
    out += fmt::format("  rotation under way: {} of re-key maps not yet acknowledged by the tenant",
                       config::counted(pending, "batch", "batches"));
  }
  out += "\n\n";

  std::vector<std::array<std::string, 8>> rows;
  rows.push_back(
      {"SOURCE", "TYPE", "STATE", "LAST RUN", "LAST SUCCESS", "NEXT RUN", "ROWS", "LAST ERROR"});
  if (const json::value* sources = status.if_contains("sources"); sources && sources->is_array()) {
    for (const json::value& value : sources->get_array()) {
      if (!value.is_object()) continue;
      const json::object& source = value.get_object();
      const json::value* retrying = source.if_contains("retrying");
      const bool retry = retrying != nullptr && retrying->is_bool() && retrying->get_bool();
      rows.push_back({string_of(source, "name"), string_of(source, "type"),
                      string_of(source, "state"), short_time(source, "last_run_at"),
                      short_time(source, "last_success_at"),
                      short_time(source, "next_run_at") + (retry ? " (retry)" : ""),
                      std::to_string(number_at(source, "rows_last_run")),
                      string_of(source, "last_error")});
    }
  }
  // Streams that failed, and streams whose last run met bad rows or values, one line each, below
  // the table; sources gone stale first.
  const std::string stale = stale_lines(status);
  std::string failed_streams;
  std::string bad_data;
  if (const json::value* sources = status.if_contains("sources"); sources && sources->is_array()) {
    for (const json::value& value : sources->get_array()) {
      const json::value* streams = value.is_object() ? value.get_object().if_contains("streams")
                                                     : nullptr;
      if (streams == nullptr || !streams->is_array()) continue;
      for (const json::value& item : streams->get_array()) {
        if (!item.is_object()) continue;
        const json::object& stream = item.get_object();
        const std::string name =
            fmt::format("{}.{}", string_of(value.get_object(), "name"), string_of(stream, "name"));
        const std::string error = string_of(stream, "last_error", "");
        if (!error.empty()) failed_streams += fmt::format("stream {} failed: {}\n", name, error);
        const std::uint64_t bad_rows = number_at(stream, "bad_rows");
        const std::uint64_t bad_values = number_at(stream, "bad_values");
        if (bad_rows > 0 || bad_values > 0) {
          bad_data += fmt::format("stream {}: last run had {}, {} (see the log)\n", name,
                                  config::counted(bad_rows, "bad row"),
                                  config::counted(bad_values, "bad value"));
        }
      }
    }
  }
  std::array<std::size_t, 8> widths{};
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      text += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    }
    out += text + "\n";
  }
  if (!stale.empty() || !failed_streams.empty() || !bad_data.empty()) {
    out += "\n" + stale + failed_streams + bad_data;
  }
  return out;
}

}  // namespace ferry::control
