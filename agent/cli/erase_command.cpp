// ferry erase: the right to be forgotten (SPEC section 2). The subject's tokens join the
// suppression list, leave the change-detection state, and an `erase` batch tells the tenant to
// delete what it holds; the audit log records it. When an agent runs, it does the work (it owns
// the spool) and this command reports its answer; otherwise the command does it itself.
#include <boost/json.hpp>
#include <fmt/format.h>

#include "agent/app/spool_options.hpp"
#include "agent/app/data_dir_lock.hpp"
#include "agent/app/erase.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/control_client.hpp"
#include "common/audit/audit_log.hpp"
#include "common/crypto/tokens.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    kConfigOption,
    {"domain", 'd', "DOMAIN", "the token domain of the values, e.g. user ([a-z0-9_.-]+)"},
    {"token", '\0', "TOKEN", "erase by token instead of by value (repeatable)", true},
    kHelpOption};

// The agent's answer, or nullopt when no agent listens (the command then does the work).
std::optional<Result<boost::json::object>> hand_to_agent(const config::Settings& settings,
                                                         std::string_view domain,
                                                         const std::vector<std::string>& tokens) {
  boost::json::array list;
  for (const auto& token : tokens) list.emplace_back(token);
  const std::string request = boost::json::serialize(
      boost::json::object{{"cmd", "erase"}, {"domain", domain}, {"tokens", std::move(list)}});
  // The agent fsyncs the suppression list, the spool and the audit log: allow it time.
  auto answer = control::request(settings.agent.control_socket, request, std::chrono::seconds(120));
  if (!answer) {
    if (answer.error().code == ErrorCode::kUnavailable) return std::nullopt;
    return Result<boost::json::object>(tl::unexpected(answer.error()));
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(*answer, ec);
  if (ec || !parsed.is_object()) {
    return Result<boost::json::object>(make_error(ErrorCode::kIo,
                                                  "the agent's answer on {} is not a JSON object",
                                                  settings.agent.control_socket.string()));
  }
  auto& object = parsed.get_object();
  const auto* ok = object.if_contains("ok");
  if (ok == nullptr || !ok->is_bool() || !ok->get_bool()) {
    const auto* error = object.if_contains("error");
    return Result<boost::json::object>(make_error(
        ErrorCode::kIo, "the running agent refused the erasure: {}",
        error != nullptr && error->is_string() ? std::string(error->get_string()) : "no reason"));
  }
  return Result<boost::json::object>(std::move(object));
}

// No agent runs: this process takes the data_dir and does the work.
Result<boost::json::object> erase_here(const config::Settings& settings,
                                       const keys::Keyring& keyring, std::string_view domain,
                                       const std::vector<std::string>& tokens) {
  auto lock = app::DataDirLock::acquire(settings.agent.data_dir);
  if (!lock) return tl::unexpected(lock.error());
  spool::OpenReport opened;
  auto spool = spool::Spool::open(app::spool_options(settings), opened);
  if (!spool) return tl::unexpected(spool.error());
  auto audit_log = audit::AuditLog::open(
      settings.agent.data_dir,
      std::chrono::duration_cast<std::chrono::seconds>(settings.agent.audit_retention));
  // Nothing is being delivered: every unsent row batch is withheld.
  auto outcome =
      app::erase_subjects(settings.agent.data_dir, **spool, domain, tokens, {},
                          keyring.active_version(), audit_log ? audit_log->get() : nullptr);
  if (!outcome) return tl::unexpected(outcome.error());
  boost::json::object result = app::to_json(*outcome);
  if (!audit_log) {
    result["audit_error"] = audit_log.error().message;
  } else if (!outcome->audit_error.empty()) {
    result["audit_error"] = outcome->audit_error;
  }
  return result;
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

  bool by_agent = true;
  auto answered = hand_to_agent(*settings, *domain, tokens);
  Result<boost::json::object> result = answered ? std::move(*answered) : [&] {
    by_agent = false;
    return erase_here(*settings, *keyring, *domain, tokens);
  }();
  if (!result) return fail(io, kExitFailure, result.error().message);
  io.out << app::describe(*result) << '\n';
  if (by_agent) {
    io.out << "the running agent did the erasure and sends the erase batch to the tenant\n";
  } else {
    io.out << "no agent is running: the erase batch waits in the spool; the tenant is told at "
              "the next delivery (start the service, or run: ferry sync -c "
           << settings->file.string() << ")\n";
  }
  if (const auto* audit_error = result->if_contains("audit_error")) {
    io.err << "ferry: WARNING: the audit log did not record this erasure: "
           << audit_error->as_string() << '\n';
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

const CommandSpec& erase_command() {
  static const CommandSpec spec{
      .name = "erase",
      .summary = "forget a subject: never send it again, tell the tenant to delete it",
      .usage = "ferry erase [-c FILE] --domain DOMAIN VALUE... | --token TOKEN...",
      .details =
          "The right to be forgotten. Each VALUE (a student's sourcedId, say) is turned into\n"
          "every token it can have in DOMAIN (pseudonymize and hash, every key version, as\n"
          "given and lower-cased). Those tokens go on the suppression list in data_dir: no row\n"
          "carrying one of them in that domain is sent again. Their change-detection entries\n"
          "go, unsent batches that may carry them are withheld (their sources are read again),\n"
          "and an erase batch tells the tenant to delete every row it holds with them. The\n"
          "audit log records the erasure (tokens are counted, never shown). Erasing twice is\n"
          "harmless. When the agent runs, it does the work; otherwise this command does and\n"
          "the erase batch goes out with the next delivery.",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
