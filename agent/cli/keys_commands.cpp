// ferry keys init | rotate | list: the key file of SPEC section 4. Secrets are never printed.
// (keys export and keys import, its backup: key_backup_commands.cpp.)
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/app/data_dir_lock.hpp"
#include "agent/app/spool_options.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/cli/terminal.hpp"
#include "agent/control/control_client.hpp"
#include "agent/pipeline/key_rotation.hpp"
#include "agent/spool/spool.hpp"
#include "common/audit/audit_log.hpp"
#include "common/config/counted.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};
constexpr OptionSpec kRotateOptions[] = {
    kConfigOption,
    {"yes", 'y', "", "rotate without asking (needed where there is no terminal to ask on)"},
    kHelpOption};

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
  io.out << fmt::format("created {} with key version 1 (active)\n", path_text(path));
  io.out << fmt::format(
      "back this file up now: ferry keys export -c {} --out FILE, and keep FILE and its\n"
      "passphrase off this machine. Losing the key file means no token can ever be revealed\n"
      "again, and every student becomes new to the vendor.\n",
      path_text(settings->file));
  return kExitOk;
}

// The rotation itself, once it is agreed to: adds key version N+1 to the key file, makes it
// active, records it in the audit log, and has the spool catch up (docs/key-rotation.md): the
// running agent does when told to reload; with none running, this command does, so the re-key
// maps are spooled at once. Returns the new version.
Result<std::uint32_t> perform_key_rotation(const config::Settings& settings, keys::Keyring& keyring,
                                           Io& io) {
  auto version = keyring.rotate(std::chrono::system_clock::now());
  if (!version) return tl::unexpected(version.error());
  record_key_event(settings, "key_rotated", *version, io);
  auto lock = app::DataDirLock::acquire(settings.agent.data_dir);
  if (!lock) {
    const control::ControlClient agent(settings.agent.control_socket);
    auto reloaded = agent.reload();
    if (reloaded) {
      io.out << fmt::format(
          "the running agent reloaded with key version {}: it spooled the re-key maps before "
          "reading any source ({})\n",
          *version, *reloaded);
    } else if (reloaded.error().code == ErrorCode::kUnavailable) {
      io.err << "ferry: another ferry command holds the data_dir and no agent answers: the "
                "re-key maps are spooled when the agent next starts, before it reads any source\n";
    } else {
      io.err << fmt::format(
          "ferry: warning: the running agent could not be told ({}): reload it (systemctl "
          "reload ferry); until then it keeps making version-{} tokens\n",
          reloaded.error().message, *version - 1);
    }
    return version;
  }
  spool::OpenReport opened;
  auto spool = spool::Spool::open(app::spool_options(settings), opened);
  if (!spool) {
    io.err << fmt::format(
        "ferry: warning: the spool cannot be opened ({}): the re-key maps are spooled when the "
        "agent next starts, before it reads any source\n",
        spool.error().message);
    return version;
  }
  auto caught_up =
      pipeline::catch_up_key_rotation(**spool, keyring, settings, settings.agent.data_dir);
  if (!caught_up) {
    io.err << fmt::format(
        "ferry: warning: the re-key maps could not be spooled ({}); the agent tries again when "
        "it next starts, before it reads any source\n",
        caught_up.error().message);
    return version;
  }
  if (caught_up->maps > 0) {
    io.out << fmt::format(
        "spooled {} in {}: the tenant gets them before any row with a version-{} token\n",
        config::counted(caught_up->maps, "re-key map"),
        config::counted(caught_up->batches, "batch", "batches"), *version);
  }
  if (!caught_up->sources_reset.empty()) {
    io.out << fmt::format(
        "sources keyed by a hash token are read again and their rows sent again once: {}\n",
        fmt::join(caught_up->sources_reset, ", "));
  }
  return version;
}

// What a rotation does, said before it is done (on the terminal, before asking).
std::string rotation_plan(const keys::Keyring& keyring, std::uint32_t next) {
  const std::uint32_t first = keyring.versions().front().version;
  const std::uint32_t last = keyring.versions().back().version;
  const std::string older = first == last ? fmt::format("version {} stays", first)
                                          : fmt::format("versions {}-{} stay", first, last);
  return fmt::format(
      "This makes key version {next} the active key in {path}:\n"
      "  - the agent first sends the vendor re-key maps, from each token of an older version to\n"
      "    its version-{next} token, and only then rows with version-{next} tokens;\n"
      "  - {older} in the file, so tokens made with them still reveal;\n"
      "  - the key file needs a fresh export afterwards (ferry keys export): earlier exports do\n"
      "    not hold version {next}.\n",
      fmt::arg("next", next), fmt::arg("path", path_text(keyring.path())),
      fmt::arg("older", older));
}

int run_rotate(const ParsedArgs& args, Io& io) {
  // The key commands need no uplink secret: they work before /etc/ferry/token exists.
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  if (!writes_as_data_dir_owner(*settings, io, "keys rotate")) return kExitFailure;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  const std::uint32_t next = keyring->versions().back().version + 1;
  if (!args.has("yes")) {
    if (!have_terminal()) {
      return fail(io, kExitUsage,
                  fmt::format("ferry keys rotate: there is no terminal to confirm on: run 'ferry "
                              "keys rotate -c {} --yes' to make key version {} active without "
                              "asking",
                              path_text(settings->file), next));
    }
    io.err << rotation_plan(*keyring, next) << std::flush;
    auto agreed = confirm("Rotate now? [y/N] ");
    if (!agreed) return fail(io, kExitFailure, agreed.error().message);
    if (!*agreed) {
      return fail(
          io, kExitFailure,
          fmt::format("not rotated: key version {} stays active", keyring->active_version()));
    }
  }
  auto version = perform_key_rotation(*settings, *keyring, io);
  if (!version) return fail(io, kExitFailure, version.error().message);
  io.out << fmt::format(
      "key version {} is now active in {}; tokens made with older versions still reveal\n",
      *version, path_text(keyring->path()));
  io.out << fmt::format(
      "export the key file again now: ferry keys export -c {} --out FILE (earlier exports do not\n"
      "hold version {}, so they could not reveal its tokens)\n",
      path_text(settings->file), *version);
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
          "random bytes. The data directory is created (mode 0700) when missing. Back the file\n"
          "up at once with 'ferry keys export': without it no token can be revealed again.",
      .options = kOptions,
      .run = run_init};
  return spec;
}

const CommandSpec& keys_rotate_command() {
  static const CommandSpec spec{
      .name = "keys rotate",
      .summary = "add a new key version and make it active",
      .usage = "ferry keys rotate [-c FILE] [--yes]",
      .details =
          "New tokens carry the new version. Older versions stay in the file so that their\n"
          "tokens still reveal. The file is rewritten atomically. On a terminal it says what\n"
          "will happen and asks first; without one (cron, a script) it needs --yes. Export the\n"
          "key file again afterwards (ferry keys export): earlier exports lack the new version.",
      .options = kRotateOptions,
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
