// ferry keys export | import: the key file as a backup encrypted under a passphrase
// (common/keys/keyring_export.hpp), and back. The passphrase comes from --passphrase-file or the
// terminal (never echoed); it, the derived key and the secrets stay in wiped memory.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "agent/app/data_dir_lock.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/cli/terminal.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/fs/read_file.hpp"
#include "common/fs/secret_file.hpp"
#include "common/keys/export_record.hpp"
#include "common/keys/keyring.hpp"
#include "common/keys/keyring_export.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kPassphraseFileOption{
    "passphrase-file", '\0', "FILE",
    "read the passphrase from FILE (its first line; only you may read it) instead of asking"};
constexpr OptionSpec kExportOptions[] = {
    kConfigOption,
    {"out", 'o', "FILE",
     "write the export to FILE (mode 0600; an existing file is never replaced)"},
    kPassphraseFileOption,
    kHelpOption};
constexpr OptionSpec kImportOptions[] = {kConfigOption, kPassphraseFileOption, kHelpOption};

// How many times the terminal asks before giving up.
constexpr int kAttempts = 3;

// A passphrase, or the exit code to return (its message printed).
using Passphrase = tl::expected<crypto::SecureBytes, int>;

// --passphrase-file: a secret file (fs/secret_file.hpp: this user's own, private, not a link);
// its first line, one trailing line end dropped.
Passphrase passphrase_from_file(const std::filesystem::path& path, const config::Settings& settings,
                                std::string_view command, Io& io) {
  auto text = fs::read_secret_file(path, keys::kMaxPassphraseLength + 2, settings.agent.data_dir);
  if (!text) {
    return tl::unexpected(fail(
        io, kExitUsage, fmt::format("{}: --passphrase-file: {}", command, text.error().message)));
  }
  crypto::SecureBytes passphrase(text->begin(), text->end());
  crypto::secure_wipe(text->data(), text->size());
  if (!passphrase.empty() && passphrase.back() == '\n') passphrase.pop_back();
  if (!passphrase.empty() && passphrase.back() == '\r') passphrase.pop_back();
  const auto problem = [&](std::string_view what) {
    return tl::unexpected(
        fail(io, kExitUsage,
             fmt::format("{}: --passphrase-file {} {}", command, path_text(path), what)));
  };
  if (passphrase.empty()) return problem("is empty: write the passphrase on its first line");
  for (const auto byte : passphrase) {
    if (byte == '\n') {
      return problem("holds more than one line: write the passphrase alone on its first line");
    }
  }
  if (passphrase.size() > keys::kMaxPassphraseLength) {
    return problem(
        fmt::format("holds a passphrase longer than {} characters", keys::kMaxPassphraseLength));
  }
  return passphrase;
}

// Neither --passphrase-file nor a terminal: say how to give one.
int no_way_to_ask(std::string_view command, Io& io) {
  return fail(io, kExitUsage,
              fmt::format("{}: there is no terminal to ask for the passphrase on: give "
                          "--passphrase-file FILE (a file only you can read, the passphrase on "
                          "its first line)",
                          command));
}

// The passphrase of a new export: --passphrase-file, or asked twice on the terminal. At least
// kMinPassphraseLength characters either way.
Passphrase new_passphrase(const ParsedArgs& args, const config::Settings& settings, Io& io) {
  constexpr std::string_view kCommand = "ferry keys export";
  const auto too_short = [](const crypto::SecureBytes& passphrase) {
    return passphrase.size() < keys::kMinPassphraseLength;
  };
  if (auto file = args.value("passphrase-file")) {
    auto passphrase = passphrase_from_file(*file, settings, kCommand, io);
    if (passphrase && too_short(*passphrase)) {
      return tl::unexpected(fail(
          io, kExitUsage,
          fmt::format("{}: the passphrase in {} is shorter than {} characters: use a longer one "
                      "(a few unrelated words are easy to keep and hard to guess)",
                      kCommand, *file, keys::kMinPassphraseLength)));
    }
    return passphrase;
  }
  if (!have_terminal()) return tl::unexpected(no_way_to_ask(kCommand, io));
  io.err << fmt::format(
                "Choose a passphrase for the export (at least {} characters). Keep it apart from "
                "the file:\n"
                "without it the export cannot be restored, and no one can reset it.\n",
                keys::kMinPassphraseLength)
         << std::flush;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto first = read_passphrase("Passphrase: ", keys::kMaxPassphraseLength);
    if (!first) {
      return tl::unexpected(
          fail(io, kExitUsage, fmt::format("{}: passphrase: {}", kCommand, first.error().message)));
    }
    if (too_short(*first)) {
      io.err << fmt::format("That is shorter than {} characters; try again.\n",
                            keys::kMinPassphraseLength);
      continue;
    }
    auto again = read_passphrase("The same again: ", keys::kMaxPassphraseLength);
    if (!again) {
      return tl::unexpected(
          fail(io, kExitUsage, fmt::format("{}: passphrase: {}", kCommand, again.error().message)));
    }
    if (*again == *first) return std::move(*first);
    io.err << "The two differ; try again.\n";
  }
  return tl::unexpected(fail(io, kExitUsage,
                             fmt::format("{}: no passphrase agreed after {} tries; nothing written",
                                         kCommand, kAttempts)));
}

// The passphrase of an existing export: --passphrase-file, or asked once on the terminal.
Passphrase existing_passphrase(const ParsedArgs& args, const config::Settings& settings, Io& io) {
  constexpr std::string_view kCommand = "ferry keys import";
  if (auto file = args.value("passphrase-file")) {
    return passphrase_from_file(*file, settings, kCommand, io);
  }
  if (!have_terminal()) return tl::unexpected(no_way_to_ask(kCommand, io));
  auto passphrase = read_passphrase("Passphrase of the export: ", keys::kMaxPassphraseLength);
  if (!passphrase || passphrase->empty()) {
    return tl::unexpected(
        fail(io, kExitUsage,
             fmt::format("{}: no passphrase given{}", kCommand,
                         passphrase ? "" : fmt::format(" ({})", passphrase.error().message))));
  }
  return std::move(*passphrase);
}

// An audit entry for an export or an import: versions, the file, who; never a secret. Failing to
// record is a warning: the file is written by then (see record_key_event in keys_commands.cpp).
void record_backup_event(const config::Settings& settings, std::string_view event,
                         boost::json::object fields, Io& io) {
  fields["uid"] = env::current_user();
  if (auto recorded = append_audit(settings, event, std::move(fields)); !recorded) {
    io.err << fmt::format("ferry: warning: the audit log could not record the {}: {}\n",
                          event == "key_exported" ? "export" : "import", recorded.error().message);
  }
}

// Notes that `keyring`'s active version is exported, for `ferry check`. Run as root on the
// service account's data_dir, the record is given to that account, like everything there.
void note_export(const config::Settings& settings, const keys::Keyring& keyring,
                 std::string exported, Io& io) {
  const keys::ExportRecord record{std::move(exported), keyring.active_version(),
                                  keyring.active().created,
                                  static_cast<std::uint32_t>(keyring.versions().size())};
  auto written = keys::write_export_record(settings.agent.data_dir, record);
  if (written) {
    written = give_to_data_dir_owner(settings, keys::export_record_path(settings.agent.data_dir));
  }
  if (!written) {
    io.err << fmt::format(
        "ferry: warning: the export is complete, but 'ferry check' will not know of it: {}\n",
        written.error().message);
  }
}

int run_export(const ParsedArgs& args, Io& io) {
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  const auto out = args.value("out");
  if (!out || out->empty()) {
    return fail(io, kExitUsage,
                "ferry keys export: --out FILE is required (where to write the export, e.g. "
                "--out /media/backup/ferry-keys.json)");
  }
  if (!args.positionals().empty()) {
    return fail(io, kExitUsage,
                fmt::format("ferry keys export: unexpected argument '{}' (the file goes after "
                            "--out)",
                            args.positionals().front()));
  }
  const std::filesystem::path out_path = *out;
  std::error_code ec;
  const auto already_there = [&] {
    return fail(io, kExitFailure,
                fmt::format("{} already exists: an export never replaces a file; give another "
                            "--out, e.g. one with today's date",
                            path_text(out_path)));
  };
  if (std::filesystem::exists(std::filesystem::symlink_status(out_path, ec))) {
    return already_there();
  }
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  auto passphrase = new_passphrase(args, *settings, io);
  if (!passphrase) return passphrase.error();

  const auto now = std::chrono::system_clock::now();
  auto text = keys::seal_export(*keyring, *passphrase, settings->agent.id, now);
  if (!text) return fail(io, kExitFailure, text.error().message);
  if (auto written = fs::write_file_atomically(out_path, *text, fs::Access::kOwnerOnly,
                                               fs::Overwrite::kRefuse);
      !written) {
    if (written.error().code == ErrorCode::kAlreadyExists) return already_there();
    return fail(io, kExitFailure, written.error().message);
  }
  note_export(*settings, *keyring, keys::format_rfc3339(now), io);
  record_backup_event(*settings, "key_exported",
                      {{"version", keyring->active_version()},
                       {"versions", keyring->versions().size()},
                       {"file", path_text(std::filesystem::absolute(out_path, ec))}},
                      io);
  const crypto::ScryptParams kdf;
  io.out << fmt::format(
      "wrote {}: {}, encrypted under the passphrase (scrypt N={} r={} p={}, AES-256-GCM)\n",
      path_text(out_path), keys::describe_versions(*keyring), kdf.n, kdf.r, kdf.p);
  io.out << fmt::format(
      "keep it off this machine, and the passphrase apart from it; to restore: ferry keys "
      "import -c {} {}\n",
      path_text(settings->file), path_text(out_path));
  return kExitOk;
}

int run_import(const ParsedArgs& args, Io& io) {
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  if (args.positionals().size() != 1) {
    return fail(io, kExitUsage,
                "ferry keys import: give the export file, e.g. ferry keys import "
                "/media/backup/ferry-keys.json");
  }
  const std::filesystem::path file = args.positionals().front();
  auto text = fs::read_small_file(file, keys::kMaxExportSize);
  if (!text) return fail(io, kExitFailure, text.error().message);
  auto parsed = keys::parse_export(*text, file);
  if (!parsed) return fail(io, kExitFailure, parsed.error().message);
  const keys::ExportHeader& header = parsed->header;
  io.out << fmt::format("{} holds {}, exported {} from agent {}\n", path_text(file),
                        keys::describe_versions(header.keys, header.active), header.exported,
                        header.agent_id);
  if (header.agent_id != settings->agent.id) {
    io.err << fmt::format("ferry: note: {} comes from agent {}, and {} is agent {}\n",
                          path_text(file), header.agent_id, path_text(settings->file),
                          settings->agent.id);
  }

  // The agent holds the key file in memory: it must not run while the file is replaced.
  if (!writes_as_data_dir_owner(*settings, io, "keys import")) return kExitFailure;
  if (auto dir = fs::ensure_private_dir(settings->agent.data_dir); !dir) {
    return fail(io, kExitFailure, dir.error().message);
  }
  auto lock = app::DataDirLock::acquire(settings->agent.data_dir);
  if (!lock && lock.error().code == ErrorCode::kUnavailable) {
    return fail(io, kExitFailure,
                fmt::format("the agent is running on {} and holds the key file in memory: stop it "
                            "(systemctl stop ferry), import, then start it again",
                            path_text(settings->agent.data_dir)));
  }
  if (!lock) return fail(io, kExitFailure, lock.error().message);

  auto passphrase = existing_passphrase(args, *settings, io);
  if (!passphrase) return passphrase.error();
  const auto path = keys::keyring_path(settings->agent.data_dir);
  auto incoming = keys::open_export(*parsed, *passphrase, file, path);
  if (!incoming) return fail(io, kExitFailure, incoming.error().message);
  auto restored = keys::Keyring::restore(*incoming, path);
  if (!restored) {
    if (restored.error().code != ErrorCode::kConflict) {
      return fail(io, kExitFailure, restored.error().message);
    }
    return fail(
        io, kExitFailure,
        fmt::format("{}: importing {} would replace those keys, and no token made with "
                    "them could ever be revealed again; nothing changed. If that key file "
                    "is new and nothing was sent with it (a 'keys init' before the "
                    "restore), move it aside (mv {} {}.unused) and import again",
                    restored.error().message, path_text(file), path_text(path), path_text(path)));
  }
  auto current = keys::Keyring::load(path);
  if (!current) return fail(io, kExitFailure, current.error().message);
  const std::string held = keys::describe_versions(*current);
  switch (*restored) {
    case keys::Keyring::Restored::kCreated:
    case keys::Keyring::Restored::kExtended:
      record_backup_event(
          *settings, "key_imported",
          {{"version", current->active_version()},
           {"versions", current->versions().size()},
           {"outcome", *restored == keys::Keyring::Restored::kCreated ? "created" : "extended"},
           {"file", path_text(std::filesystem::absolute(file))}},
          io);
      io.out << fmt::format("{} now holds {}\n", path_text(path), held);
      break;
    case keys::Keyring::Restored::kUnchanged:
      io.out << fmt::format("{} already holds these keys: {}; nothing changed\n", path_text(path),
                            held);
      break;
    case keys::Keyring::Restored::kNewerHeld:
      io.out << fmt::format(
          "{} already holds every key in {}, and newer ones: {}; nothing changed\n",
          path_text(path), path_text(file), held);
      break;
  }
  // The export holds the active key: it is a backup `ferry check` may count.
  auto record = keys::read_export_record(settings->agent.data_dir);
  if (current->active_version() == header.active &&
      !(record && *record && keys::holds_active_key(**record, *current))) {
    note_export(*settings, *current, header.exported, io);
  }
  return kExitOk;
}

}  // namespace

const CommandSpec& keys_export_command() {
  static const CommandSpec spec{
      .name = "keys export",
      .summary = "write the key file encrypted under a passphrase, as a backup",
      .usage = "ferry keys export [-c FILE] --out FILE [--passphrase-file FILE]",
      .details =
          "Writes every key version, encrypted under a passphrase (scrypt, AES-256-GCM), to\n"
          "--out (mode 0600; an existing file is never replaced). The passphrase is asked twice\n"
          "on the terminal, without echo, or read from --passphrase-file; at least 12\n"
          "characters. Keep the file off this machine and the passphrase apart from it: losing\n"
          "the key file means no token can ever be revealed again. Export again after each\n"
          "'ferry keys rotate'; 'ferry check' warns while the active version has no export.\n"
          "Safe while the agent runs.",
      .options = kExportOptions,
      .run = run_export};
  return spec;
}

const CommandSpec& keys_import_command() {
  static const CommandSpec spec{
      .name = "keys import",
      .summary = "restore the key file from an export",
      .usage = "ferry keys import [-c FILE] [--passphrase-file FILE] EXPORT",
      .details =
          "Says which key versions EXPORT holds, asks its passphrase (or reads\n"
          "--passphrase-file) and writes <data_dir>/keyring.json, mode 0600, atomically. The\n"
          "agent must be stopped. A key file already there is never lost: one with the same\n"
          "keys, or newer ones, is left as it is; one whose versions EXPORT holds too (an older\n"
          "state of the same keys) is brought up to EXPORT; any other is refused.",
      .options = kImportOptions,
      .run = run_import};
  return spec;
}

}  // namespace ferry::cli
