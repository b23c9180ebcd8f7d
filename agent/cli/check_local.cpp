#include "agent/cli/check_local.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "agent/cli/context.hpp"
#include "agent/collector/staleness.hpp"
#include "agent/control/socket_folder.hpp"
#include "agent/spool/source_states.hpp"
#include "common/config/duration.hpp"
#include "common/config/size.hpp"
#include "common/env/core_dumps.hpp"
#include "common/error/path_text.hpp"
#include "common/frame/frame.hpp"
#include "common/fs/secret_file.hpp"
#include "common/keys/export_record.hpp"
#include "common/keys/key_age.hpp"
#include "common/keys/keyring.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDataDir = "data dir";

// The closest folder at or above `path` that exists ("/" at worst).
fs::path existing_ancestor(fs::path path) {
  std::error_code ec;
  while (!path.empty() && !fs::exists(path, ec) && path != path.root_path()) {
    path = path.parent_path();
  }
  return path.empty() ? fs::current_path(ec) : path;
}

// Creates and removes a file in `dir`; the error text when that fails.
std::optional<std::string> write_probe(const fs::path& dir) {
  auto id = frame::new_uuid();
  if (!id) return id.error().message;
  const fs::path name = dir / fmt::format(".ferry-check-{}", *id);
  errno = 0;
  std::ofstream probe(name, std::ios::binary);
  const int open_error = errno;
  if (!probe) return open_error != 0 ? std::strerror(open_error) : "cannot create a file there";
  probe << "ok";
  probe.close();
  const int write_error = errno;
  const bool written = !probe.fail();
  std::error_code ec;
  fs::remove(name, ec);
  if (!written) return write_error != 0 ? std::strerror(write_error) : "cannot write a file there";
  return std::nullopt;
}

// What an unprivileged user may still use on the disk of `dir`; the error text when unknown.
Result<std::uint64_t> free_bytes(const fs::path& dir) {
  std::error_code ec;
  const fs::space_info space = fs::space(dir, ec);
  if (ec) return make_error(ErrorCode::kIo, "{}", ec.message());
  return static_cast<std::uint64_t>(space.available);
}

// Bytes the spool takes now (its database and write-ahead log), 0 before it exists.
std::uint64_t spool_bytes(const fs::path& data_dir) {
  std::uint64_t total = 0;
  for (const char* name : {"spool.db", "spool.db-wal"}) {
    std::error_code ec;
    const auto size = fs::file_size(data_dir / name, ec);
    if (!ec) total += size;
  }
  return total;
}

// Free space for the spool to reach spool.max_bytes, and a floor for everything else. `dir` is the
// data directory, or the folder it will be created in.
void check_free_space(const config::Settings& settings, const fs::path& dir, std::string found,
                      CheckReport& report) {
  const auto free = free_bytes(dir);
  if (!free) {
    report.fail(kDataDir, fmt::format("cannot tell the free space of {}: {}", path_text(dir),
                                      free.error().message));
    return;
  }
  const std::uint64_t max = settings.spool.max_bytes;
  const std::uint64_t used = spool_bytes(settings.agent.data_dir);
  const std::uint64_t growth = max > used ? max - used : 0;
  if (*free < kMinFreeBytes) {
    report.fail(kDataDir,
                fmt::format("only {} free on the disk of {} (Ferry needs at least {}): free disk "
                            "space there, or move agent.data_dir to a larger disk",
                            human_size(*free), path_text(dir), human_size(kMinFreeBytes)));
  } else if (*free < growth) {
    report.fail(kDataDir,
                fmt::format("only {} free on the disk of {}, but the spool may grow to "
                            "spool.max_bytes ({}, {} used now): free disk space there, or lower "
                            "spool.max_bytes in {}",
                            human_size(*free), path_text(dir), config::format_size(max),
                            human_size(used), path_text(settings.file)));
  } else {
    report.ok(kDataDir, fmt::format("{}, {} free (spool.max_bytes {})", found, human_size(*free),
                                    config::format_size(max)));
  }
}

// A data directory not made yet: fine when `ferry keys init` or the agent can make it.
void check_missing_data_dir(const config::Settings& settings, CheckReport& report) {
  const fs::path& dir = settings.agent.data_dir;
  const fs::path parent = existing_ancestor(dir.parent_path());
  if (const auto error = write_probe(parent)) {
    report.fail(kDataDir, fmt::format("{} does not exist and {} cannot create it in {} ({}): run "
                                      "'mkdir -m 700 -p {}' and 'chown {} {}' as root",
                                      path_text(dir), this_account_name(), path_text(parent),
                                      *error, path_text(dir), this_account_name(), path_text(dir)));
    return;
  }
  check_free_space(settings, parent,
                   fmt::format("{} does not exist yet; 'ferry keys init' or the agent creates it "
                               "(mode 0700)",
                               path_text(dir)),
                   report);
}

// WARN while no export holds the active key: losing the key file would lose every token.
void check_key_backup(const config::Settings& settings, const keys::Keyring& keyring,
                      CheckReport& report) {
  constexpr std::string_view kName = "key backup";
  const std::string command =
      fmt::format("ferry keys export -c {} --out FILE", path_text(settings.file));
  auto record = keys::read_export_record(settings.agent.data_dir);
  if (!record) {
    report.warn(kName, fmt::format("cannot tell when the key file was last exported ({}): run "
                                   "'{}' and keep FILE off this machine",
                                   record.error().message, command));
  } else if (!*record) {
    report.warn(kName,
                fmt::format("the key file was never exported: run '{}' and keep FILE and its "
                            "passphrase off this machine (without the key file no token can be "
                            "revealed again, and every student becomes new to the vendor)",
                            command));
  } else if (!keys::holds_active_key(**record, keyring)) {
    report.warn(kName,
                fmt::format("the active key version {} was never exported (the last export, {}, "
                            "holds version {}): run '{}' again, as a backup without version {} "
                            "cannot reveal its tokens",
                            keyring.active_version(), (*record)->exported, (*record)->active,
                            command, keyring.active_version()));
  } else {
    report.ok(kName, fmt::format("exported {} with the active version {}", (*record)->exported,
                                 keyring.active_version()));
  }
}

// With agent.key_rotation_period only: WARN once the active key is older.
void check_key_age(const config::Settings& settings, const keys::Keyring& keyring,
                   std::chrono::system_clock::time_point now, CheckReport& report) {
  constexpr std::string_view kName = "key age";
  const auto& period = settings.agent.key_rotation_period;
  if (!period) return;
  const auto age = keys::key_age(keyring.active().created, now, period);
  if (!age) {
    report.warn(kName, fmt::format("the active key's created date '{}' is not an RFC 3339 time, "
                                   "so its age is unknown: run 'ferry keys rotate -c {}'",
                                   keyring.active().created, path_text(settings.file)));
    return;
  }
  // Whole days: the age rounded down, the time left rounded up.
  const auto days = [](std::chrono::seconds seconds) { return seconds.count() / 86400; };
  const auto days_up = [](std::chrono::seconds seconds) {
    return (seconds.count() + 86399) / 86400;
  };
  const std::string period_text = config::format_duration(*period);
  if (age->rotation_due) {
    report.warn(kName, fmt::format("the active key version {} is {} days old, older than "
                                   "agent.key_rotation_period ({}): run 'ferry keys rotate -c {}'",
                                   keyring.active_version(), days(age->age), period_text,
                                   path_text(settings.file)));
  } else {
    report.ok(kName, fmt::format("the active key version {} is {} days old; rotation due in {} "
                                 "days (agent.key_rotation_period {})",
                                 keyring.active_version(), days(age->age), days_up(*age->due_in),
                                 period_text));
  }
}

}  // namespace

std::string human_size(std::uint64_t bytes) { return config::display_size(bytes); }

void check_data_dir(const config::Settings& settings, CheckReport& report) {
  const fs::path& dir = settings.agent.data_dir;
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) {
    check_missing_data_dir(settings, report);
    return;
  }
  if (ec) {
    report.fail(kDataDir, fmt::format("cannot look at {} ({}): check agent.data_dir in {} and "
                                      "the permissions of the folders above it",
                                      path_text(dir), ec.message(), path_text(settings.file)));
    return;
  }
  if (status.type() != fs::file_type::directory) {
    report.fail(kDataDir, fmt::format("{} is not a folder: set agent.data_dir in {} to a folder",
                                      path_text(dir), path_text(settings.file)));
    return;
  }
  // The spool, the key file and the audit log are private; so must their folder be, or others
  // could list it, read what a future mistake leaves readable, or (if writable) swap files.
  if (auto private_folder = ferry::fs::check_private_folder(dir); !private_folder) {
    report.fail(kDataDir, private_folder.error().message);
    return;
  }
  if (auto error = write_probe(dir)) {
    report.fail(kDataDir,
                fmt::format("{} is not writable for {} ({}): run ferry as the user that owns it, "
                            "or 'chown -R {} {}' as root",
                            path_text(dir), this_account_name(), *error, this_account_name(),
                            path_text(dir)));
    return;
  }
  check_free_space(settings, dir, fmt::format("{} is writable", path_text(dir)), report);
}

void check_key_file(const config::Settings& settings, CheckReport& report,
                    std::chrono::system_clock::time_point now) {
  constexpr std::string_view kName = "key file";
  const auto path = keys::keyring_path(settings.agent.data_dir);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    report.fail(kName, fmt::format("no key file at {}: run 'ferry keys init -c {}' to create one "
                                   "(once; keep a backup of it, tokens cannot be revealed "
                                   "without it)",
                                   path_text(path), path_text(settings.file)));
    return;
  }
  (void)env::forbid_core_dumps();  // best effort: this command only reads the key file
  auto keyring = keys::Keyring::load(path);
  if (!keyring) {
    report.fail(kName, keyring.error().message);
    return;
  }
  report.ok(kName,
            fmt::format("{} is private to its owner; active key version {}, made {}",
                        path_text(path), keyring->active_version(), keyring->active().created));
  check_key_backup(settings, *keyring, report);
  check_key_age(settings, *keyring, now, report);
}

void check_control_socket(const config::Settings& settings, CheckReport& report) {
  constexpr std::string_view kName = "control socket";
  const fs::path& socket = settings.agent.control_socket;
  auto folder = control::check_socket_folder(socket);
  if (!folder && folder.error().code == ErrorCode::kNotFound) {
    report.ok(kName, fmt::format("the folder of {} does not exist yet; the agent creates it",
                                 path_text(socket)));
  } else if (!folder) {
    report.fail(kName, folder.error().message);
  } else {
    report.ok(kName, control::describe_checked_channel(socket));
  }
}

namespace {

// A connector's message without the "source 'name'" it starts with: the report's line names the
// source already ("FAIL  source sis_db: connecting to the database: ...").
std::string without_source_name(const std::string& message, const std::string& source) {
  const std::string named = "source '" + source + "'";
  if (!message.starts_with(named)) return message;
  std::string rest = message.substr(named.size());
  if (rest.starts_with(": ")) return rest.substr(2);
  if (rest.starts_with(" ")) return rest.substr(1);
  return message;
}

}  // namespace

void check_sources(const config::Settings& settings, CheckReport& report) {
  if (settings.sources.empty()) {
    report.skip("sources", fmt::format("none configured in {}: nothing is read until a source is "
                                       "added under sources:",
                                       path_text(settings.file)));
    return;
  }
  for (const auto& source_settings : settings.sources) {
    const std::string name = "source " + source_settings.name;
    auto source = connectors::create_source(
        source_settings, connectors::inspection_context(source_settings, settings.agent.data_dir));
    if (!source) {
      report.fail(name, without_source_name(source.error().message, source_settings.name));
      continue;
    }
    if (auto checked = (*source)->check(); !checked) {
      report.fail(name, without_source_name(checked.error().message, source_settings.name));
      continue;
    }
    report.ok(name, fmt::format("{} source is reachable and readable", source_settings.type));
  }
}

void check_source_changes(const config::Settings& settings, CheckReport& report,
                          std::chrono::system_clock::time_point now) {
  std::vector<const config::SourceSettings*> watched;
  for (const auto& source : settings.sources) {
    if (source.stale_after) watched.push_back(&source);
  }
  if (watched.empty()) return;
  const auto name_of = [](const config::SourceSettings& source) {
    return fmt::format("source {} changes", source.name);
  };
  const fs::path spool_db = settings.agent.data_dir / "spool.db";
  std::error_code ec;
  std::optional<sqlite::Database> db;
  std::string unreadable;
  if (fs::exists(spool_db, ec)) {
    // Read-only: never a second writer beside a running agent (sqlite/database.hpp).
    auto opened = sqlite::Database::open(spool_db, sqlite::Database::Mode::kReadOnly);
    if (opened) {
      db.emplace(std::move(*opened));
      (void)db->exec("PRAGMA busy_timeout=5000");
    } else {
      unreadable = opened.error().message;
    }
  }
  for (const config::SourceSettings* source : watched) {
    const std::string after = collector::format_stale_after(*source->stale_after);
    collector::SourceStatus status;
    status.stale_after = source->stale_after;
    if (db) {
      auto activity = spool::SourceStates(*db).activity(source->name);
      if (!activity) {
        unreadable = activity.error().message;
      } else if (*activity) {
        collector::apply_activity(**activity, status);
      }
    }
    if (!unreadable.empty()) {
      report.skip(name_of(*source),
                  fmt::format("cannot tell when its data last changed ({}): run ferry check as "
                              "the user the agent runs as",
                              unreadable));
      continue;
    }
    const auto since = collector::unchanged_since(status);
    if (!since) {
      report.ok(name_of(*source),
                fmt::format("no successful run recorded yet; stale_after {} counts from the first",
                            after));
    } else if (collector::is_stale(status, now)) {
      report.warn(
          name_of(*source),
          fmt::format("no change {} {} (stale_after {}): every run reads the same data, so the "
                      "export job that feeds this source has probably stopped: check that it "
                      "still runs and writes where the source reads",
                      status.last_change ? "since" : "seen since its first run at",
                      keys::format_rfc3339(*since), after));
    } else {
      report.ok(name_of(*source), fmt::format("{} {} (stale_after {})",
                                              status.last_change ? "data last changed"
                                                                 : "no change yet since its "
                                                                   "first run at",
                                              keys::format_rfc3339(*since), after));
    }
  }
}

}  // namespace ferry::cli
