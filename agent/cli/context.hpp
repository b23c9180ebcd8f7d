// What most commands need first: the configuration file's path, the validated settings, the key
// file. Each helper prints its own one-line errors, so callers only map failure to an exit code.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "agent/cli/args.hpp"
#include "agent/cli/command.hpp"
#include "agent/policy/compiled_policy.hpp"
#include "common/config/load.hpp"
#include "common/config/settings.hpp"
#include "common/env/user.hpp"
#include "common/keys/keyring.hpp"
#include "common/log/log.hpp"

namespace ferry::cli {

// The -c/--config option every command that reads the configuration takes, and -h/--help.
#if defined(_WIN32)
#define FERRY_DEFAULT_CONFIG "%ProgramData%\\Ferry\\ferry.yaml"
#else
#define FERRY_DEFAULT_CONFIG "/etc/ferry/ferry.yaml"
#endif
inline constexpr OptionSpec kConfigOption{
    "config", 'c', "FILE",
    "configuration file (default: $FERRY_CONFIG, else " FERRY_DEFAULT_CONFIG ")"};
inline constexpr OptionSpec kHelpOption{"help", 'h', "", "show this help and exit"};

// -c/--config, else $FERRY_CONFIG, else /etc/ferry/ferry.yaml (on Windows
// %ProgramData%\Ferry\ferry.yaml).
std::filesystem::path config_path(const ParsedArgs& args);
// The last of those: /etc/ferry/ferry.yaml; on Windows in the ProgramData folder.
std::filesystem::path default_config_path();

// Loads and validates the configuration; on failure prints every diagnostic and returns nullopt
// (the caller exits with kExitUsage). A command that only talks to the running agent passes
// {.read_secret_files = false}, so that a user who may not read the agent's secrets can run it.
std::optional<config::Settings> load_settings(const ParsedArgs& args, Io& io,
                                              config::LoadOptions options = {});

// The same for a configuration file named directly (the Windows service's registered one).
std::optional<config::Settings> load_settings_from(const std::filesystem::path& file, Io& io,
                                                   config::LoadOptions options = {});

// Loads <data_dir>/keyring.json; on failure prints the reason (with the fix) and returns nullopt
// (the caller exits with kExitFailure).
std::optional<keys::Keyring> load_keyring(const config::Settings& settings, Io& io);

// A command that writes in the data_dir (run, sync, erase, keys init, keys rotate), run as root
// on a data_dir that belongs to another account (the service account `ferry` of the package),
// would leave files there that the agent cannot read or write (a root-owned keyring.json,
// spool.db, audit.head). Such a command is refused: prints the `sudo -u` line that runs it as that
// account, and returns false (the caller exits kExitFailure). True otherwise, also when the
// data_dir does not exist yet, and always on Windows (no root; docs/windows.md).
bool writes_as_data_dir_owner(const config::Settings& settings, Io& io, std::string_view command);
// The data_dir's owner when this command runs as root and the data_dir belongs to another
// account; nullopt otherwise (always on Windows).
std::optional<env::UserId> foreign_data_dir_owner(const config::Settings& settings);
// Gives `path` (just written in the data_dir by root) to the data_dir's owner and group when
// foreign_data_dir_owner() names one; nothing otherwise. kIo when that fails.
Result<void> give_to_data_dir_owner(const config::Settings& settings,
                                    const std::filesystem::path& path);
// The name of the account this process runs as, for advice ("chown ferry ...").
std::string this_account_name();
// What to run to start the agent of `config`, for a message that found none running:
// "start it with 'systemctl start ferry' or 'ferry run -c FILE'"; on Windows 'ferry service
// start' or `ferry run` in a console.
std::string how_to_start_agent(const std::filesystem::path& config);

// Sends the log where agent.log says (its level, its file) and to stderr in `style`; without
// agent.log.file, the agent's <data_dir>/logs/ferry.log unless the journal takes it, and nothing
// with `style` kOff (a command that prints its own summary). On failure (the log file cannot be
// opened) prints why and returns false (the caller exits kExitFailure).
bool setup_logging(const config::Settings& settings, Io& io, log::StderrStyle style);

// Appends one entry to <data_dir>/audit.log from a one-shot command (which never trims it: only
// the agent knows the configured retention).
Result<void> append_audit(const config::Settings& settings, std::string_view event,
                          boost::json::object fields);

// One line per field with bad values (`sync` and `preview`, on stderr): which field, how many,
// what became of them and what to do. Counts and names only, never a value.
void print_bad_values(const std::vector<policy::BadValues>& fields, Io& io);

}  // namespace ferry::cli
