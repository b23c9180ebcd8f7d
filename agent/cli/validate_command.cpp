// ferry validate: the whole configuration checked at once, one line per problem.
#include <fmt/format.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/socket_folder.hpp"
#include "common/config/load.hpp"
#include "common/env/core_dumps.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/keys/keyring.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};

// The key file is not part of the YAML, but a bad one stops the agent just the same, so validate
// reports it too, at the line that names the data directory.
std::optional<config::Diagnostic> check_key_file(const config::Settings& settings, Io& io) {
  const auto path = keys::keyring_path(settings.agent.data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    io.err << fmt::format(
        "note: no key file yet at {}: run 'ferry keys init -c {}' before starting the agent\n",
        path_text(path), path_text(settings.file));
    return std::nullopt;
  }
  (void)env::forbid_core_dumps();  // best effort: this command only reads the key file
  auto keyring = keys::Keyring::load(path);
  if (keyring) return std::nullopt;
  return config::Diagnostic{settings.file, settings.agent.data_dir_at, keyring.error().message};
}

// Like the key file: a control_socket in a folder others may write stops the agent, so it is
// reported at agent.control_socket (or at data_dir, when the socket is there by default).
std::optional<config::Diagnostic> check_socket_folder(const config::Settings& settings) {
  auto folder = control::check_socket_folder(settings.agent.control_socket);
  if (folder || folder.error().code != ErrorCode::kPermission) return std::nullopt;
  return config::Diagnostic{settings.file, settings.agent.control_socket_at,
                            folder.error().message};
}

// What only a connector can tell (a stream its API does not have, a key it cannot use, a path
// that is not a JSON pointer) stops the agent at its start: validate makes each source, which
// opens nothing, and reports at the source what its connector refuses.
std::vector<config::Diagnostic> check_sources(const config::Settings& settings) {
  std::vector<config::Diagnostic> problems;
  for (const config::SourceSettings& source : settings.sources) {
    auto made = connectors::create_source(
        source, connectors::inspection_context(source, settings.agent.data_dir));
    if (!made)
      problems.push_back(config::Diagnostic{settings.file, source.at, made.error().message});
  }
  return problems;
}

int run(const ParsedArgs& args, Io& io) {
  const auto path = config_path(args);
  auto settings = config::load_config(path, connectors::catalog());
  if (!settings) {
    for (const auto& diagnostic : settings.error()) io.err << diagnostic.to_string() << '\n';
    return kExitUsage;
  }
  bool failed = false;
  for (auto problem : {check_key_file(*settings, io), check_socket_folder(*settings)}) {
    if (!problem) continue;
    io.err << problem->to_string() << '\n';
    failed = true;
  }
  for (const config::Diagnostic& problem : check_sources(*settings)) {
    io.err << problem.to_string() << '\n';
    failed = true;
  }
  if (failed) return kExitUsage;
  io.out << "ok\n";
  return kExitOk;
}

}  // namespace

const CommandSpec& validate_command() {
  static const CommandSpec spec{
      .name = "validate",
      .summary = "check the configuration file and the key file's permissions",
      .usage = "ferry validate [-c FILE]",
      .details =
          "Prints 'ok' and exits 0, or prints one line per problem as FILE:LINE:COL: message\n"
          "and exits 2. Every problem is reported at once. Nothing is started or changed.",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
