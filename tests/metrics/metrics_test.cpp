// The metrics text follows the Prometheus exposition format 0.0.4 (each family's HELP and TYPE
// once, before its samples; label values escaped) and carries the agent's numbers.
#include "agent/metrics/metrics.hpp"

#include <map>
#include <set>

#include <catch2/catch.hpp>

using namespace ferry;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter, gauge
  std::map<std::string, std::string> helps;
  std::vector<Sample> samples;
};

bool is_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

std::string read_name(std::string_view line, std::size_t& at) {
  const std::size_t start = at;
  while (at < line.size() && is_name_char(line[at], at == start)) ++at;
  return std::string(line.substr(start, at - start));
}

// `"value"` with the format's three escapes; fails the test on anything else.
std::string read_label_value(std::string_view line, std::size_t& at) {
  REQUIRE(at < line.size());
  REQUIRE(line[at] == '"');
  std::string value;
  for (++at; at < line.size() && line[at] != '"'; ++at) {
    if (line[at] != '\\') {
      REQUIRE(line[at] != '\n');
      value += line[at];
      continue;
    }
    REQUIRE(at + 1 < line.size());
    const char escaped = line[++at];
    REQUIRE((escaped == '\\' || escaped == '"' || escaped == 'n'));
    value += escaped == 'n' ? '\n' : escaped;
  }
  REQUIRE(at < line.size());
  ++at;  // the closing quote
  return value;
}

Sample parse_sample(std::string_view line) {
  Sample sample;
  std::size_t at = 0;
  sample.name = read_name(line, at);
  REQUIRE_FALSE(sample.name.empty());
  if (at < line.size() && line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const std::string label = read_name(line, at);
      REQUIRE_FALSE(label.empty());
      REQUIRE(line.substr(at, 1) == "=");
      ++at;
      REQUIRE(sample.labels.emplace(label, read_label_value(line, at)).second);
      if (at < line.size() && line[at] == ',') ++at;
    }
    REQUIRE(line.substr(at, 1) == "}");
    ++at;
  }
  REQUIRE(line.substr(at, 1) == " ");
  sample.value = std::string(line.substr(at + 1));
  REQUIRE_FALSE(sample.value.empty());
  REQUIRE(sample.value.find_first_not_of("0123456789") == std::string::npos);
  return sample;
}

// Parses the text as Prometheus would, failing the test where the format is broken: every line a
// comment or a sample, one HELP and one TYPE a family, before its samples, which come together.
Exposition parse(const std::string& text) {
  Exposition out;
  REQUIRE_FALSE(text.empty());
  REQUIRE(text.back() == '\n');
  std::set<std::string> finished;
  std::string current;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    INFO(line);
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::size_t at = 7;
      const std::string family = read_name(line, at);
      REQUIRE(line.substr(at, 1) == " ");
      auto& seen = line[2] == 'H' ? out.helps : out.types;
      REQUIRE(seen.emplace(family, line.substr(at + 1)).second);  // once a family
      if (family != current) {
        REQUIRE(finished.insert(current).second);
        current = family;
      }
      continue;
    }
    REQUIRE(line.substr(0, 1) != "#");
    Sample sample = parse_sample(line);
    REQUIRE(sample.name == current);  // after its HELP and TYPE, next to its family's others
    out.samples.push_back(std::move(sample));
  }
  return out;
}

config::Settings settings() {
  config::Settings s;
  s.agent.id = "school-042";
  s.agent.tenant = "district-7";
  s.spool.max_bytes = 1073741824;
  for (const auto& [name, type] :
       {std::pair{"sis", "oneroster_csv"}, std::pair{"library", "sqlite_query"}}) {
    config::SourceSettings source;
    source.name = name;
    source.type = type;
    s.sources.push_back(source);
  }
  return s;
}

std::chrono::system_clock::time_point at(int seconds) {
  return std::chrono::system_clock::from_time_t(1'795'000'000 + seconds);
}

control::StatusInputs inputs(const config::Settings& config) {
  control::StatusInputs in;
  in.settings = &config;
  in.started = at(0);
  in.now = at(100);
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.last_success = at(42);
  sis.rows = 1200;
  sis.running = true;
  sis.runs_total = 3;
  sis.errors_total = 1;
  sis.rows_read_total = 3600;
  sis.rows_spooled_total = 1300;
  sis.rows_suppressed_total = 4;
  sis.bad_rows_total = 2;
  sis.bad_values_total = 6;
  sis.batches_total = 5;
  collector::SourceStatus library;
  library.name = "library";
  library.paused = true;
  library.last_error = "spool full";
  in.sources = {sis, library};
  uplink::Status up;
  up.state = uplink::State::kBackoff;
  up.connects = 7;
  up.batches_sent = 12;
  up.batches_acked = 10;
  up.rows_acked = 1250;
  up.bytes_acked = 65536;
  up.batches_rejected = 1;
  up.acked_through = 41;
  in.uplink = up;
  spool::Stats stats;
  stats.batches = 2;
  stats.bytes = 5000;
  stats.rejected = 1;
  stats.dropped_batches = 3;
  stats.oldest_created_unix = 1'795'000'000 + 60;
  stats.next_seq = 44;
  in.spool = stats;
  in.key_version = 2;
  in.key_created = "2026-11-01T09:00:00Z";
  return in;
}

// The value of the one sample with this name and these labels; "" when there is none.
std::string value_of(const Exposition& exposition, const std::string& name,
                     const std::map<std::string, std::string>& labels = {}) {
  std::string found;
  for (const Sample& sample : exposition.samples) {
    if (sample.name != name || sample.labels != labels) continue;
    REQUIRE(found.empty());
    found = sample.value;
  }
  return found;
}

}  // namespace

TEST_CASE("the metrics text parses: one HELP and TYPE a family, before its samples") {
  const config::Settings config = settings();
  const Exposition exposition = parse(metrics::render_metrics(inputs(config)));
  CHECK(exposition.helps.size() == exposition.types.size());
  for (const auto& [family, type] : exposition.types) {
    INFO(family);
    CHECK(family.rfind("ferry_", 0) == 0);
    CHECK(exposition.helps.count(family) == 1);
    CHECK_FALSE(exposition.helps.at(family).empty());
    CHECK((type == "counter" || type == "gauge"));
    const bool total = family.size() > 6 && family.substr(family.size() - 6) == "_total";
    CHECK(total == (type == "counter"));
  }
}

TEST_CASE("the metrics carry the agent's, the uplink's and the spool's numbers") {
  const config::Settings config = settings();
  const Exposition e = parse(metrics::render_metrics(inputs(config)));
  CHECK(value_of(e, "ferry_build_info",
                 {{"version", FERRY_VERSION}, {"agent", "school-042"}, {"tenant", "district-7"}}) ==
        "1");
  CHECK(value_of(e, "ferry_start_time_seconds") == "1795000000");
  CHECK(value_of(e, "ferry_uplink_state", {{"state", "backoff"}}) == "1");
  for (const char* other : {"connected", "connecting", "disabled"}) {
    CHECK(value_of(e, "ferry_uplink_state", {{"state", other}}) == "0");
  }
  CHECK(value_of(e, "ferry_uplink_connects_total") == "7");
  CHECK(value_of(e, "ferry_uplink_batches_sent_total") == "12");
  CHECK(value_of(e, "ferry_uplink_batches_acked_total") == "10");
  CHECK(value_of(e, "ferry_uplink_rows_sent_total") == "1250");
  CHECK(value_of(e, "ferry_uplink_bytes_sent_total") == "65536");
  CHECK(value_of(e, "ferry_uplink_batches_rejected_total") == "1");
  CHECK(value_of(e, "ferry_uplink_acked_seq") == "41");
  CHECK(value_of(e, "ferry_spool_batches") == "2");
  CHECK(value_of(e, "ferry_spool_bytes") == "5000");
  CHECK(value_of(e, "ferry_spool_max_bytes") == "1073741824");
  CHECK(value_of(e, "ferry_spool_oldest_age_seconds") == "40");
  CHECK(value_of(e, "ferry_spool_rejected_batches") == "1");
  CHECK(value_of(e, "ferry_spool_dropped_batches_total") == "3");
  CHECK(value_of(e, "ferry_spool_next_seq") == "44");
  CHECK(value_of(e, "ferry_key_active_version") == "2");
  // 2026-11-01T09:00:00Z is 1793523600; now is 1795000100.
  CHECK(value_of(e, "ferry_key_age_seconds") == "1476500");
}

TEST_CASE("each source has its counters, labelled with its name and type") {
  const config::Settings config = settings();
  const Exposition e = parse(metrics::render_metrics(inputs(config)));
  const std::map<std::string, std::string> sis{{"source", "sis"}, {"type", "oneroster_csv"}};
  const std::map<std::string, std::string> library{{"source", "library"}, {"type", "sqlite_query"}};
  CHECK(value_of(e, "ferry_source_runs_total", sis) == "3");
  CHECK(value_of(e, "ferry_source_errors_total", sis) == "1");
  CHECK(value_of(e, "ferry_source_rows_read_total", sis) == "3600");
  CHECK(value_of(e, "ferry_source_rows_spooled_total", sis) == "1300");
  CHECK(value_of(e, "ferry_source_rows_suppressed_total", sis) == "4");
  CHECK(value_of(e, "ferry_source_bad_rows_total", sis) == "2");
  CHECK(value_of(e, "ferry_source_bad_values_total", sis) == "6");
  CHECK(value_of(e, "ferry_source_bad_values_total", library) == "0");
  CHECK(value_of(e, "ferry_source_batches_total", sis) == "5");
  CHECK(value_of(e, "ferry_source_rows_last_run", sis) == "1200");
  CHECK(value_of(e, "ferry_source_last_success_timestamp_seconds", sis) == "1795000042");
  CHECK(value_of(e, "ferry_source_last_run_error", sis) == "0");
  CHECK(value_of(e, "ferry_source_running", sis) == "1");
  CHECK(value_of(e, "ferry_source_paused", sis) == "0");
  CHECK(value_of(e, "ferry_source_runs_total", library) == "0");
  CHECK(value_of(e, "ferry_source_last_success_timestamp_seconds", library) == "0");
  CHECK(value_of(e, "ferry_source_last_run_error", library) == "1");
  CHECK(value_of(e, "ferry_source_running", library) == "0");
  CHECK(value_of(e, "ferry_source_paused", library) == "1");
}

TEST_CASE("each source's last change and staleness are in the metrics") {
  using namespace std::chrono_literals;
  const config::Settings config = settings();
  control::StatusInputs in = inputs(config);  // now is at(100)
  collector::SourceStatus& sis = in.sources[0];
  sis.last_change = at(100) - 36h - 1s;
  sis.rows_last_change = 17;
  sis.stale_after = 36h;
  const std::map<std::string, std::string> sis_labels{{"source", "sis"}, {"type", "oneroster_csv"}};
  const std::map<std::string, std::string> library{{"source", "library"}, {"type", "sqlite_query"}};
  Exposition e = parse(metrics::render_metrics(in));
  CHECK(e.types.at("ferry_source_last_change_timestamp_seconds") == "gauge");
  CHECK(e.types.at("ferry_source_stale") == "gauge");
  CHECK(value_of(e, "ferry_source_last_change_timestamp_seconds", sis_labels) ==
        std::to_string(1'795'000'100 - 36 * 3600 - 1));
  CHECK(value_of(e, "ferry_source_rows_last_change", sis_labels) == "17");
  CHECK(value_of(e, "ferry_source_stale_after_seconds", sis_labels) == "129600");
  CHECK(value_of(e, "ferry_source_stale", sis_labels) == "1");
  // No change seen and no stale_after: zeros, never stale.
  CHECK(value_of(e, "ferry_source_last_change_timestamp_seconds", library) == "0");
  CHECK(value_of(e, "ferry_source_stale_after_seconds", library) == "0");
  CHECK(value_of(e, "ferry_source_stale", library) == "0");
  // A change clears it.
  sis.last_change = at(90);
  e = parse(metrics::render_metrics(in));
  CHECK(value_of(e, "ferry_source_stale", sis_labels) == "0");
}

TEST_CASE("a disabled uplink, an unreadable spool and no sources still give valid text") {
  const config::Settings config = settings();
  control::StatusInputs in = inputs(config);
  in.uplink.reset();
  in.spool.reset();
  in.sources.clear();
  in.key_created = "not a time";
  const Exposition e = parse(metrics::render_metrics(in));
  CHECK(value_of(e, "ferry_uplink_state", {{"state", "disabled"}}) == "1");
  CHECK(value_of(e, "ferry_uplink_state", {{"state", "connected"}}) == "0");
  CHECK(value_of(e, "ferry_uplink_connects_total") == "0");
  CHECK(value_of(e, "ferry_spool_max_bytes") == "1073741824");
  // Unknown rather than a misleading 0.
  CHECK(e.types.count("ferry_spool_batches") == 0);
  CHECK(e.types.count("ferry_key_age_seconds") == 0);
  CHECK(e.types.count("ferry_source_runs_total") == 1);
  CHECK(value_of(e, "ferry_key_active_version") == "2");
}

TEST_CASE("label values are escaped: backslash, double quote and newline") {
  CHECK(metrics::escape_label_value("plain name-1.x") == "plain name-1.x");
  CHECK(metrics::escape_label_value(R"(a\b"c)") == R"(a\\b\"c)");
  CHECK(metrics::escape_label_value("line\nbreak") == R"(line\nbreak)");

  config::Settings config = settings();
  const std::string odd = "we\"ird\\na}me,\nx=\"y\"";
  config.sources[0].name = odd;
  config.agent.id = "id with \"quotes\"";
  control::StatusInputs in = inputs(config);
  in.sources[0].name = odd;
  const std::string text = metrics::render_metrics(in);
  const Exposition e = parse(text);  // a raw newline in a value would break a line: it parses
  CHECK(value_of(e, "ferry_source_rows_read_total", {{"source", odd}, {"type", "oneroster_csv"}}) ==
        "3600");
  CHECK(value_of(e, "ferry_build_info",
                 {{"version", FERRY_VERSION},
                  {"agent", "id with \"quotes\""},
                  {"tenant", "district-7"}}) == "1");
}

TEST_CASE("the metrics text never carries a source's error message") {
  const config::Settings config = settings();
  control::StatusInputs in = inputs(config);
  in.sources[1].last_error = "bad value 'Alice Example' in column name";
  in.uplink->last_error = "tenant said: row 'Alice Example' rejected";
  CHECK(metrics::render_metrics(in).find("Alice") == std::string::npos);
}
