// ferry keys init | rotate | list: the key file of SPEC section 4. Secrets are never printed.
#include <chrono>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "common/audit/audit_log.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};

// Records a key event (its version, never the secret) in the audit log. The key change has
// happened by then and stays: undoing it could fail too, and a key file without its audit entry
// is better than an audit entry for a key that never existed. So a failure is a warning and the
// exit code stays 0 (a script that retried `keys rotate` would add yet another version).
// The log is opened without trimming: only the agent knows the configured retention.
void record_key_event(const config::Settings& settings, std::string_view event,
                      std::uint32_t version, Io& io) {
  auto recorded = append_audit(settings, event, {{"version", version}});
  if (!recorded) {
    io.err << fmt::format(
        "ferry: warning: key version {} is in place, but the audit log could not record it: {}\n",
        version, recorded.error().message);
  }
}

int run_init(const ParsedArgs& args, Io& io) {
  // The key commands need no uplink secret: they work before /etc/ferry/token exists.
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  if (!writes_as_data_dir_owner(*settings, io, "keys init")) return kExitFailure;
  if (auto dir = fs::ensure_private_dir(settings->agent.data_dir); !dir) {
    return fail(io, kExitFailure, dir.error().message);
  }
  const auto path = keys::keyring_path(settings->agent.data_dir);
  auto keyring = keys::Keyring::create(path, std::chrono::system_clock::now());
  if (!keyring) return fail(io, kExitFailure, keyring.error().message);
  record_key_event(*settings, "key_created", keyring->active_version(), io);
  io.out << fmt::format("created {} with key version 1 (active)\n", path.string());
  io.out << "back this file up somewhere safe: without it, pseudonyms cannot be revealed and new\n"
            "ones will not match the old\n";
  return kExitOk;
}

int run_rotate(const ParsedArgs& args, Io& io) {
  // The key commands need no uplink secret: they work before /etc/ferry/token exists.
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  if (!writes_as_data_dir_owner(*settings, io, "keys rotate")) return kExitFailure;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  auto version = keyring->rotate(std::chrono::system_clock::now());
  if (!version) return fail(io, kExitFailure, version.error().message);
  record_key_event(*settings, "key_rotated", *version, io);
  io.out << fmt::format(
      "key version {} is now active in {}; tokens made with older versions still reveal\n",
      *version, keyring->path().string());
  return kExitOk;
}

int run_list(const ParsedArgs& args, Io& io) {
  // The key commands need no uplink secret: they work before /etc/ferry/token exists.
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  io.out << fmt::format("{:<8} {:<21} {}\n", "VERSION", "CREATED", "ACTIVE");
  for (const auto& key : keyring->versions()) {
    io.out << fmt::format("{:<8} {:<21} {}\n", key.version, key.created,
                          key.version == keyring->active_version() ? "yes" : "");
  }
  return kExitOk;
}

}  // namespace

const CommandSpec& keys_init_command() {
  static const CommandSpec spec{
      .name = "keys init",
      .summary = "create the key file (refuses to overwrite one)",
      .usage = "ferry keys init [-c FILE]",
      .details =
          "Creates <data_dir>/keyring.json, mode 0600, with key version 1 made from 32\n"
          "random bytes. The data directory is created (mode 0700) when missing.",
      .options = kOptions,
      .run = run_init};
  return spec;
}

const CommandSpec& keys_rotate_command() {
  static const CommandSpec spec{
      .name = "keys rotate",
      .summary = "add a new key version and make it active",
      .usage = "ferry keys rotate [-c FILE]",
      .details =
          "New tokens carry the new version. Older versions stay in the file so that their\n"
          "tokens still reveal. The file is rewritten atomically.",
      .options = kOptions,
      .run = run_rotate};
  return spec;
}

const CommandSpec& keys_list_command() {
  static const CommandSpec spec{
      .name = "keys list",
      .summary = "list key versions, creation dates and the active one (never secrets)",
      .usage = "ferry keys list [-c FILE]",
      .details = "",
      .options = kOptions,
      .run = run_list};
  return spec;
}

}  // namespace ferry::cli
