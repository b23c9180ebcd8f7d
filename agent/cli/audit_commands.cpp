// ferry audit verify | show: check and print <data_dir>/audit.log (docs/audit.md). Both only
// read, under a shared lock on the log, so they run beside an agent that is writing to it.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "common/audit/audit_log.hpp"
#include "common/config/duration.hpp"
#include "common/error/path_text.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kVerifyOptions[] = {kConfigOption, kHelpOption};
constexpr OptionSpec kShowOptions[] = {
    kConfigOption,
    {"since", '\0', "T",
     "only entries at or after T: a date (2026-11-23), an RFC 3339 time, or a duration ago "
     "(24h, 7d)"},
    {"json", '\0', "", "print the lines exactly as written (JSON Lines)"},
    kHelpOption};

// --since: a duration ago ("24h", "7d"), a date, or an RFC 3339 time.
std::optional<std::chrono::system_clock::time_point> parse_since(std::string_view text) {
  if (auto ago = config::parse_duration(text)) return std::chrono::system_clock::now() - *ago;
  if (auto time = audit::parse_timestamp(text)) return *time;
  return std::nullopt;
}

int run_verify(const ParsedArgs& args, Io& io) {
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  const auto& data_dir = settings->agent.data_dir;
  auto report = audit::verify(data_dir);
  if (!report) return fail(io, kExitFailure, report.error().message);
  for (const auto& note : report->notes) io.out << "note: " << note << '\n';
  if (!report->ok) {
    return fail(io, kExitFailure,
                fmt::format("audit log {} is not intact: {}", path_text(audit::log_path(data_dir)),
                            report->problem));
  }
  if (report->entries == 0) {
    io.out << "ok: 0 entries";
  } else {
    io.out << fmt::format("ok: {} entries, chain intact from seq {} to {}", report->entries,
                          report->first_seq, report->last_seq);
  }
  if (report->end_checked) io.out << ", end matches audit.head";
  if (report->trimmed_through > 0) {
    io.out << fmt::format(" (entries up to seq {} were trimmed by retention)",
                          report->trimmed_through);
  }
  io.out << '\n';
  return kExitOk;
}

// A field value for a person: plain words as they are, anything else as JSON.
std::string format_value(const boost::json::value& value) {
  if (const auto* text = value.if_string()) {
    const bool plain = !text->empty() && std::none_of(text->begin(), text->end(), [](char c) {
      return c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
    });
    if (plain) return std::string(*text);
  }
  return boost::json::serialize(value);
}

std::string format_entry(const audit::Entry& entry) {
  if (!entry.valid) {
    return fmt::format("line {}: not an audit entry (run 'ferry audit verify')", entry.line_number);
  }
  std::string text = fmt::format("{}  #{}  {}", entry.at, entry.seq, entry.event);
  for (const auto& field : entry.fields) {
    const std::string_view key = field.key();
    if (key == "seq" || key == "at" || key == "event" || key == "prev") continue;
    text += fmt::format(" {}={}", key, format_value(field.value()));
  }
  return text;
}

int run_show(const ParsedArgs& args, Io& io) {
  std::optional<std::chrono::system_clock::time_point> since;
  if (auto text = args.value("since")) {
    since = parse_since(*text);
    if (!since) {
      return fail(io, kExitUsage,
                  fmt::format("ferry audit show: --since '{}' is not a date (2026-11-23), an RFC "
                              "3339 time (2026-11-23T08:00:00Z) or a duration ago (24h, 7d)",
                              *text));
    }
  }
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  auto entries = audit::read(settings->agent.data_dir, since);
  if (!entries) return fail(io, kExitFailure, entries.error().message);
  const bool json = args.has("json");
  for (const auto& entry : *entries) io.out << (json ? entry.line : format_entry(entry)) << '\n';
  return kExitOk;
}

}  // namespace

const CommandSpec& audit_verify_command() {
  static const CommandSpec spec{
      .name = "audit verify",
      .summary = "check the audit log's hash chain",
      .usage = "ferry audit verify [-c FILE]",
      .details =
          "Checks <data_dir>/audit.log: every entry parses, seqs go up by one, each entry\n"
          "carries the hash of the one before it, and the last matches audit.head. Prints\n"
          "'ok: ...' and exits 0, or names the first bad entry and exits 1. Read-only: safe\n"
          "while the agent runs. See docs/audit.md for what this does and does not prove.",
      .options = kVerifyOptions,
      .run = run_verify};
  return spec;
}

const CommandSpec& audit_show_command() {
  static const CommandSpec spec{
      .name = "audit show",
      .summary = "print the audit log",
      .usage = "ferry audit show [-c FILE] [--since T] [--json]",
      .details =
          "Prints one line per entry, oldest first: time, #seq, event, then its fields as\n"
          "key=value. Read-only: safe while the agent runs. Does not check the chain: run\n"
          "'ferry audit verify' for that.",
      .options = kShowOptions,
      .run = run_show};
  return spec;
}

}  // namespace ferry::cli
