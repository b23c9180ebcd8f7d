// ferry status: asks the running agent over its control socket and prints what it says.
#include <boost/json.hpp>
#include <fmt/format.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/control_client.hpp"
#include "agent/control/status.hpp"
#include "common/error/path_text.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    kConfigOption,
    {"json", '\0', "", "print the agent's JSON answer (SPEC section 8)"},
    kHelpOption};

int run(const ParsedArgs& args, Io& io) {
  // Only the socket is needed: a member of the agent's group may ask, without being able to read
  // the token or key files (docs/security.md).
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  const control::ControlClient agent(settings->agent.control_socket);
  auto status = agent.status();
  if (!status) {
    std::string message = status.error().message;
    // "down" only when nothing answers; an agent that runs but refuses this user, or answers
    // with something unreadable, is "unreachable": a monitor must not report it stopped.
    const bool down = status.error().code == ErrorCode::kUnavailable;
    if (down) {
      message = fmt::format("no agent is running for {} (nothing listens on {}): {}",
                            path_text(settings->file), path_text(agent.socket()),
                            how_to_start_agent(settings->file));
    }
    // Scripts get an answer they can parse either way (SPEC section 8).
    if (args.has("json")) {
      io.out << boost::json::serialize(
                    boost::json::object{{"agent", down ? "down" : "unreachable"},
                                        {"agent_id", settings->agent.id},
                                        {"tenant_id", settings->agent.tenant},
                                        {"control_socket", path_text(agent.socket())},
                                        {"error", message}})
             << '\n';
    }
    return fail(io, kExitFailure, message);
  }
  if (args.has("json")) {
    io.out << status->raw << '\n';
  } else {
    io.out << control::render_status(status->json);
  }
  return kExitOk;
}

}  // namespace

const CommandSpec& status_command() {
  static const CommandSpec spec{
      .name = "status",
      .summary = "show what the running agent is doing",
      .usage = "ferry status [-c FILE] [--json]",
      .details =
          "Asks the agent that `ferry run` started, over agent.control_socket: the uplink's\n"
          "state, the spool, every source's last and next run and when its data last changed\n"
          "(a line below the table for each source stale for longer than its stale_after),\n"
          "the active key. Exit 1 when no agent is running (with --json, after printing\n"
          "{\"agent\": \"down\", ...}), or when it cannot be asked ({\"agent\": \"unreachable\"}).",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
