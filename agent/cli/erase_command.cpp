// ferry erase: the right to be forgotten (SPEC section 2). The subject's tokens join the
// suppression list, leave the change-detection state, and an `erase` batch tells the tenant to
// delete what it holds; the audit log records it. When an agent runs, it does the work (it owns
// the spool) and this command reports its answer; otherwise the command does it itself.
#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/app/erase.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/control_client.hpp"
#include "common/config/counted.hpp"
#include "common/config/duration.hpp"
#include "common/crypto/tokens.hpp"
#include "common/error/path_text.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    kConfigOption,
    {"domain", 'd', "DOMAIN", "the token domain of the values, e.g. user ([a-z0-9_.-]+)"},
    {"token", '\0', "TOKEN", "erase by token instead of by value (repeatable)", true},
    {"wait", '\0', "", "wait until the tenant has acknowledged the erase batch"},
    {"timeout", '\0', "DUR", "with --wait: how long to wait (default 10m)"},
    kHelpOption};

// --wait: polls the running agent's status until the tenant has acknowledged `seq`.
int wait_for_tenant(const config::Settings& settings, std::uint64_t seq,
                    config::Duration timeout, Io& io) {
  const control::ControlClient agent(settings.agent.control_socket);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto status = agent.status()) {
      const auto* uplink = status->json.if_contains("uplink");
      const auto* acked =
          uplink != nullptr && uplink->is_object() ? uplink->as_object().if_contains("acked_through")
                                                   : nullptr;
      if (acked != nullptr && acked->is_number() && acked->to_number<std::uint64_t>() >= seq) {
        io.out << fmt::format("the tenant acknowledged the erase batch (seq {})\n", seq);
        return kExitOk;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(io, kExitFailure,
                  fmt::format("ferry erase: the tenant did not acknowledge the erase batch (seq "
                              "{}) within {}: it waits in the spool and goes out when the tenant "
                              "answers ('ferry status' shows the uplink)",
                              seq, config::format_duration(timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// One line for a person.
std::string describe(const control::EraseReply& erased) {
  std::string text = fmt::format(
      "erased in domain {}: {} on the suppression list ({} new), {} removed, erase batch seq "
      "{} queued for the tenant",
      erased.domain.empty() ? "?" : erased.domain, config::counted(erased.tokens, "token"),
      erased.new_tokens,
      config::counted(erased.digests_removed, "change-detection entry", "change-detection entries"),
      erased.erase_seq);
  if (erased.digests_removed == 0) {
    // Nothing was ever sent under these tokens; the suppression still holds should the subject
    // appear in a source later (a student enrolled next term).
    text += "; no source has sent a row keyed by this identifier (no row of it is held at the "
            "tenant as a key; it stays suppressed should it appear later)";
  }
  if (erased.withheld_batches > 0) {
    text += fmt::format("; {} ({}) withheld, read again from: {}",
                        config::counted(erased.withheld_batches, "unsent batch", "unsent batches"),
                        config::counted(erased.withheld_rows, "row"),
                        fmt::join(erased.sources_reread, ", "));
  }
  return text;
}

int run(const ParsedArgs& args, Io& io) {
  auto domain = args.value("domain");
  if (!domain) return fail(io, kExitUsage, "ferry erase: --domain is required");
  if (!crypto::is_valid_domain(*domain)) {
    return fail(io, kExitUsage,
                fmt::format("ferry erase: domain '{}' is not valid (use lower-case letters, "
                            "digits, '_', '.', '-')",
                            *domain));
  }
  const auto given_tokens = args.values("token");
  if (args.positionals().empty() && given_tokens.empty()) {
    return fail(io, kExitUsage, "ferry erase: give at least one VALUE (or --token TOKEN)");
  }
  for (const auto& token : given_tokens) {
    if (!crypto::token_version(token)) {
      return fail(
          io, kExitUsage,
          fmt::format("ferry erase: '{}' is not a pseudonym or hash token (p1.… or h1.…)", token));
    }
  }
  std::optional<config::Duration> timeout = std::chrono::minutes(10);
  if (auto text = args.value("timeout")) {
    auto parsed = config::parse_duration(*text);
    if (!parsed || parsed->count() <= 0) {
      return fail(io, kExitUsage,
                  fmt::format("ferry erase: --timeout takes a duration such as 30s or 10m, not "
                              "'{}'",
                              *text));
    }
    timeout = *parsed;
  }
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  std::vector<std::string> tokens = given_tokens;
  if (!args.positionals().empty()) {
    auto made = app::subject_tokens(*keyring, *domain, args.positionals());
    if (!made) return fail(io, kExitUsage, "ferry erase: " + made.error().message);
    tokens.insert(tokens.end(), made->begin(), made->end());
  }

  // The agent owns the spool when it runs: it does the work. Otherwise this command does.
  const control::EraseRequest request{*domain, tokens};
  bool by_agent = true;
  auto result = control::ControlClient(settings->agent.control_socket).erase(request);
  if (!result && result.error().code == ErrorCode::kUnavailable) {
    if (!writes_as_data_dir_owner(*settings, io, "erase")) return kExitFailure;
    by_agent = false;
    result = app::erase_without_agent(*settings, *keyring, *domain, tokens);
  }
  if (!result) return fail(io, kExitFailure, result.error().message);
  io.out << describe(*result) << '\n';
  if (by_agent) {
    io.out << "the running agent did the erasure and sends the erase batch to the tenant\n";
  } else {
    io.out << "no agent is running: the erase batch waits in the spool; the tenant is told at "
              "the next delivery (start the service, or run: ferry sync -c "
           << path_text(settings->file) << ")\n";
  }
  if (!result->audit_error.empty()) {
    io.err << "ferry: WARNING: the audit log did not record this erasure: " << result->audit_error
           << '\n';
    return kExitFailure;
  }
  if (args.has("wait")) {
    if (!by_agent) {
      return fail(io, kExitFailure,
                  "ferry erase: --wait needs a running agent to deliver the erase batch: run "
                  "ferry sync (it delivers the whole spool and waits for the tenant)");
    }
    return wait_for_tenant(*settings, result->erase_seq, *timeout, io);
  }
  return kExitOk;
}

}  // namespace

const CommandSpec& erase_command() {
  static const CommandSpec spec{
      .name = "erase",
      .summary = "forget a subject: never send it again, tell the tenant to delete it",
      .usage = "ferry erase [-c FILE] --domain DOMAIN VALUE... | --token TOKEN... [--wait]",
      .details =
          "The right to be forgotten. Each VALUE (a student's sourcedId, say) is turned into\n"
          "every token it can have in DOMAIN (pseudonymize and hash, every key version, as\n"
          "given and lower-cased). Those tokens go on the suppression list in data_dir: no row\n"
          "carrying one of them in that domain is sent again. Their change-detection entries\n"
          "go, unsent batches that may carry them are withheld (their sources are read again),\n"
          "and an erase batch tells the tenant to delete every row it holds with them. The\n"
          "audit log records the erasure and the tokens (never the values). Erasing twice is\n"
          "harmless. When the agent runs, it does the work; otherwise this command does and\n"
          "the erase batch goes out with the next delivery. With --wait (and a running\n"
          "agent) it returns once the tenant has acknowledged the erase batch, or exits 1\n"
          "after --timeout (default 10m).",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
