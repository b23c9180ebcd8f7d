// ferry pseudonymize | reveal: the on-site tools for tokens (SPEC section 4). They print values on
// purpose: they are how the school looks a pseudonym up, and they never run inside the agent.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/policy/normalize.hpp"
#include "common/crypto/tokens.hpp"
#include "common/error/path_text.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kDomainOption{"domain", 'd', "DOMAIN",
                                   "token domain, e.g. user or email ([a-z0-9_.-]+)"};
constexpr OptionSpec kPseudonymizeOptions[] = {
    kConfigOption,
    kDomainOption,
    {"normalize", '\0', "MODE", "none (default) or lower, as the field's policy says"},
    {"hash", '\0', "", "print the one-way hash token instead (the `hash` transform)"},
    kHelpOption};
constexpr OptionSpec kRevealOptions[] = {kConfigOption, kDomainOption, kHelpOption};

// The items to work on: the positionals, or with `-` alone, one per line of standard input (so
// that values stay out of the shell history and /proc/PID/cmdline). A CR before the LF is dropped.
std::vector<std::string> items_of(const ParsedArgs& args, Io& io) {
  const auto& given = args.positionals();
  if (given.size() != 1 || given[0] != "-") return {given.begin(), given.end()};
  std::vector<std::string> items;
  std::string line;
  while (io.in != nullptr && std::getline(*io.in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    items.push_back(std::move(line));
  }
  return items;
}

// Re-identification and look-up tools are audited at every use, before anything is printed:
// who (uid), which domain, how many; never a value or a token. Without the record, nothing is
// printed.
bool audit_use(const config::Settings& settings, std::string_view event, boost::json::object fields,
               Io& io) {
  fields["uid"] = env::current_user();
  auto recorded = append_audit(settings, event, std::move(fields));
  if (!recorded) {
    fail(io, kExitFailure,
         fmt::format("the audit log cannot record this use ({}), so nothing is printed",
                     recorded.error().message));
    return false;
  }
  return true;
}

// Checks --domain and that there is at least one positional; prints the usage error otherwise.
std::optional<std::string> require_domain_and_items(const ParsedArgs& args, Io& io,
                                                    std::string_view command,
                                                    std::string_view what) {
  auto domain = args.value("domain");
  if (!domain) {
    fail(io, kExitUsage, fmt::format("{}: --domain is required", command));
    return std::nullopt;
  }
  if (!crypto::is_valid_domain(*domain)) {
    fail(io, kExitUsage,
         fmt::format("{}: domain '{}' is not valid (use lower-case letters, digits, '_', '.', '-')",
                     command, *domain));
    return std::nullopt;
  }
  if (args.positionals().empty()) {
    fail(io, kExitUsage, fmt::format("{}: give at least one {}", command, what));
    return std::nullopt;
  }
  return domain;
}

int run_pseudonymize(const ParsedArgs& args, Io& io) {
  auto domain = require_domain_and_items(args, io, "ferry pseudonymize", "VALUE");
  if (!domain) return kExitUsage;
  const std::string normalize = args.value("normalize").value_or("none");
  if (normalize != "none" && normalize != "lower") {
    return fail(
        io, kExitUsage,
        fmt::format("ferry pseudonymize: --normalize must be none or lower, not '{}'", normalize));
  }
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  const auto& key = keyring->active();

  std::optional<crypto::Pseudonymizer> pseudonymizer;
  std::optional<crypto::Hasher> hasher;
  if (args.has("hash")) {
    auto made = crypto::Hasher::create(key.secret, key.version, *domain);
    if (!made) return fail(io, kExitFailure, made.error().message);
    hasher.emplace(std::move(*made));
  } else {
    auto made = crypto::Pseudonymizer::create(key.secret, key.version, *domain);
    if (!made) return fail(io, kExitFailure, made.error().message);
    pseudonymizer.emplace(std::move(*made));
  }
  const auto values = items_of(args, io);
  std::string output;
  std::string scratch;
  for (const std::string& raw : values) {
    std::string_view value = policy::trim(raw);
    if (normalize == "lower") value = policy::lower_ascii(value, scratch);
    // Empty values produce no token, exactly as in the field policy.
    if (!value.empty()) {
      auto made = hasher ? hasher->hash(value, output) : pseudonymizer->pseudonymize(value, output);
      if (!made) return fail(io, kExitFailure, made.error().message);
    }
    output.push_back('\n');
  }
  if (!audit_use(*settings, "values_pseudonymized",
                 {{"domain", *domain},
                  {"count", values.size()},
                  {"hash", args.has("hash")},
                  {"key_version", key.version}},
                 io)) {
    return kExitFailure;
  }
  io.out << output;
  return kExitOk;
}

int run_reveal(const ParsedArgs& args, Io& io) {
  auto domain = require_domain_and_items(args, io, "ferry reveal", "TOKEN");
  if (!domain) return kExitUsage;
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;

  // All or nothing: either every token reveals and each value is printed on its line, or nothing
  // goes to stdout, so a script never pairs a value with the wrong token.
  const auto tokens = items_of(args, io);
  std::string output;
  int failures = 0;
  for (const std::string& token : tokens) {
    auto version = crypto::token_version(token);
    if (!version) {
      ++failures;
      fail(io, kExitFailure,
           fmt::format("'{}' is not a pseudonym token: {}", token, version.error().message));
      continue;
    }
    if (token.starts_with('h')) {
      ++failures;
      fail(io, kExitFailure,
           fmt::format("'{}' is a one-way hash token: it cannot be revealed (compare it with "
                       "'ferry pseudonymize --hash' instead)",
                       token));
      continue;
    }
    const keys::KeyVersion* key = keyring->find(*version);
    if (key == nullptr) {
      ++failures;
      fail(io, kExitFailure,
           fmt::format("token '{}' was made with key version {}, which {} does not hold", token,
                       *version, path_text(keyring->path())));
      continue;
    }
    auto pseudonymizer = crypto::Pseudonymizer::create(key->secret, key->version, *domain);
    if (!pseudonymizer) return fail(io, kExitFailure, pseudonymizer.error().message);
    auto value = pseudonymizer->reveal(token);
    if (!value) {
      ++failures;
      fail(io, kExitFailure,
           fmt::format("cannot reveal '{}' in domain '{}': {}", token, *domain,
                       value.error().message));
      continue;
    }
    output += *value;
    output.push_back('\n');
  }
  if (!audit_use(*settings, "tokens_revealed",
                 {{"domain", *domain},
                  {"count", tokens.size()},
                  {"revealed", failures > 0 ? 0 : tokens.size()}},
                 io)) {
    return kExitFailure;
  }
  if (failures > 0) return kExitFailure;
  io.out << output;
  return kExitOk;
}

}  // namespace

const CommandSpec& pseudonymize_command() {
  static const CommandSpec spec{
      .name = "pseudonymize",
      .summary = "print the token of each value, as the agent would send it",
      .usage =
          "ferry pseudonymize [-c FILE] --domain DOMAIN [--normalize lower] [--hash] "
          "VALUE... | -",
      .details =
          "Uses the active key version. Values are trimmed first, as in the field policy;\n"
          "an empty value prints an empty line. Use it to find a student's pseudonym.\n"
          "With - instead of values, reads one value per line from standard input, which\n"
          "keeps them out of the shell history and the process list. Each use is recorded\n"
          "in the audit log (domain, count, user id; never a value).",
      .options = kPseudonymizeOptions,
      .run = run_pseudonymize};
  return spec;
}

const CommandSpec& reveal_command() {
  static const CommandSpec spec{
      .name = "reveal",
      .summary = "print the original value of each pseudonym token",
      .usage = "ferry reveal [-c FILE] --domain DOMAIN TOKEN... | -",
      .details =
          "Works for tokens of every key version in the key file. Hash tokens (h1.) are\n"
          "one-way and cannot be revealed. Prints nothing unless every token reveals.\n"
          "With - instead of tokens, reads one token per line from standard input. Each use\n"
          "is recorded in the audit log first (domain, count, user id; never a token or a\n"
          "value): when it cannot be recorded, nothing is revealed.",
      .options = kRevealOptions,
      .run = run_reveal};
  return spec;
}

}  // namespace ferry::cli
