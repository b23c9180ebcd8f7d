// ferry diagnose: a support bundle, FILE.tar.gz, that an admin can send the vendor when something
// is wrong (docs/operations.md, "A support bundle"). It holds what support reads first: the
// configuration with its secrets redacted (redact_config.hpp), `check --json`, `status --json`,
// versions, the last log lines, spool statistics, the data_dir's listing and the audit chain's
// verification. It never holds a row value, a token secret, a credential or the content of a
// secret file: the parts are counts, names, modes and the agent's own messages, which never carry
// values either (docs/security.md).
//
// Each part is collected on its own; one that cannot be (no agent running, a journal this user
// may not read) says why in its place, and the bundle is written anyway.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <boost/version.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <zstd.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/cli/diagnose_system.hpp"
#include "agent/cli/redact_config.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/fs/read_file.hpp"
#include "common/keys/keyring.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::cli {
namespace {

constexpr std::size_t kDefaultLogLines = 1000;
constexpr std::uintmax_t kMaxConfigBytes = 1024 * 1024;

constexpr OptionSpec kOptions[] = {
    kConfigOption,
    {"out", 'o', "FILE", "where to write the bundle (FILE.tar.gz; never overwritten)"},
    {"dry-run", '\0', "", "list what the bundle would hold, and write nothing"},
    {"log-lines", '\0', "N", "how many of the last log lines to include (default 1000)"},
    kHelpOption};

// One file of the bundle.
struct Part {
  std::string name;         // in the bundle's folder
  std::string description;  // for --dry-run and README.txt
  std::function<std::string()> collect;
};

// What `ferry ARGS...` prints on standard output and standard error, and its exit code.
std::string run_ferry(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  Io io{out, err};
  const int code = run_cli(args, io);
  std::string text = out.str();
  if (!err.str().empty()) text += (text.empty() ? "" : "\n") + err.str();
  return fmt::format("{}\n(exit code {})\n", text, code);
}

std::string versions() {
  return fmt::format("ferry {}\nOpenSSL {}\nSQLite {}\nzstd {}\n{}\nBoost {}.{}.{}\n{}",
                     FERRY_VERSION, OpenSSL_version(OPENSSL_VERSION), sqlite3_libversion(),
                     ZSTD_versionString(), archive_version_string(), BOOST_VERSION / 100000,
                     BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100, system_versions());
}

// Names, types, modes, owners and sizes: never a file's content.
std::string listing(const config::Settings& settings) {
  std::string text = "type+mode  owner:group  size  path\n";
  text += file_line(settings.file) + "\n";
  const auto& data_dir = settings.agent.data_dir;
  text += file_line(data_dir) + "\n";
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(data_dir, error), end;
  if (error)
    return text + fmt::format("(cannot list {}: {})\n", path_text(data_dir), error.message());
  for (; it != end; it.increment(error)) {
    if (error) break;
    if (it.depth() > 2) {
      it.disable_recursion_pending();
      continue;
    }
    text += file_line(it->path()) + "\n";
  }
  return text;
}

std::string redacted_config(const config::Settings& settings) {
  auto text = fs::read_small_file(settings.file, kMaxConfigBytes);
  if (!text)
    return fmt::format("(cannot read {}: {})\n", path_text(settings.file), text.error().message);
  auto redacted = redact_config(*text);
  if (!redacted) return fmt::format("({})\n", redacted.error().message);
  return fmt::format("# {} with every secret replaced by {} (comments are not kept)\n{}",
                     path_text(settings.file), kRedacted, *redacted);
}

// The last `count` lines of a text file.
std::string tail_of(const std::filesystem::path& path, std::size_t count) {
  std::ifstream in(path);
  if (!in) return {};
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > count) lines.pop_front();
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// The log file the agent writes: agent.log.file, else <data_dir>/logs/ferry.log when present.
std::string log_lines(const config::Settings& settings, std::size_t count) {
  std::vector<std::filesystem::path> candidates;
  if (settings.agent.log.file) candidates.push_back(*settings.agent.log.file);
  candidates.push_back(settings.agent.data_dir / "logs" / "ferry.log");
  for (const auto& path : candidates) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) continue;
    if (!std::ifstream(path)) {
      return fmt::format(
          "(the log file {} is not readable by this user: run ferry diagnose as "
          "root or as the agent's account)\n",
          path_text(path));
    }
    return fmt::format("# the last {} lines of {}\n{}", count, path_text(path),
                       tail_of(path, count));
  }
  return service_log(count);
}

// Counts from the spool, read-only (an agent may be running: WAL lets it write meanwhile).
std::string spool_statistics(const config::Settings& settings) {
  const auto path = settings.agent.data_dir / "spool.db";
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    return fmt::format("(no spool at {})\n", path_text(path));
  auto db = sqlite::Database::open(path, sqlite::Database::Mode::kReadOnly);
  if (!db) return fmt::format("(cannot open {}: {})\n", path_text(path), db.error().message);
  std::string text;
  const auto query = [&](std::string_view title, std::string_view sql) {
    auto select = db->prepare(sql);
    if (!select) {
      text += fmt::format("{}: ({})\n", title, select.error().message);
      return;
    }
    text += fmt::format("{}:\n", title);
    for (;;) {
      auto row = select->step();
      if (!row || !*row) break;
      std::string line = " ";
      for (int column = 0; column < select->column_count(); ++column) {
        line += fmt::format(" {}={}", select->column_name(column), select->column_text(column));
      }
      text += line + "\n";
    }
  };
  query("meta", "SELECT key, value FROM meta WHERE key <> 'spool_id' ORDER BY key");
  query("batches",
        "SELECT kind, count(*) AS batches, sum(rows) AS rows, sum(bytes) AS bytes, "
        "count(rejected) AS rejected, min(created_unix) AS oldest_unix, "
        "min(seq) AS first_seq, max(seq) AS last_seq FROM batches GROUP BY kind");
  query("gaps not yet reported", "SELECT from_seq, to_seq, rows, reason FROM gaps");
  query("change detection",
        "SELECT source, stream, count(*) AS pages, sum(entries) AS keys FROM digest_pages "
        "GROUP BY source, stream");
  query("digest runs waiting",
        "SELECT source, count(*) AS runs, sum(entries) AS entries "
        "FROM digest_runs GROUP BY source");
  query("key rotation", "SELECT * FROM key_state");
  return text;
}

std::string readme(const std::vector<Part>& parts, const config::Settings& settings) {
  std::string text = fmt::format(
      "Ferry support bundle of agent {} (tenant {}), made {} by ferry {}.\n\n"
      "It holds no row value, no token secret and no credential: the configuration has its "
      "secrets replaced by {}, and the other parts are counts, names, modes and the agent's own "
      "messages.\n\n",
      settings.agent.id, settings.agent.tenant,
      keys::format_rfc3339(std::chrono::system_clock::now()), FERRY_VERSION, kRedacted);
  for (const Part& part : parts) text += fmt::format("{:<16}{}\n", part.name, part.description);
  return text;
}

// The archive's bytes, as libarchive writes them.
la_ssize_t append_to_string(archive*, void* bundle, const void* data, std::size_t size) {
  static_cast<std::string*>(bundle)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

// Made in memory (the parts are small), then written as one new file only its owner may read.
Result<void> write_bundle(const std::filesystem::path& out, const std::string& folder,
                          const std::vector<std::pair<std::string, std::string>>& files) {
  std::string bundle;
  archive* writer = archive_write_new();
  archive_write_add_filter_gzip(writer);
  archive_write_set_format_pax_restricted(writer);
  archive_write_set_bytes_in_last_block(writer, 1);  // no padding past the gzip stream's end
  Result<void> result;
  if (archive_write_open2(writer, &bundle, nullptr, append_to_string, nullptr, nullptr) !=
      ARCHIVE_OK) {
    result = make_error(ErrorCode::kIo, "cannot write {}: {}", path_text(out),
                        archive_error_string(writer));
  }
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  for (const auto& [name, content] : files) {
    if (!result) break;
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, (folder + "/" + name).c_str());
    archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0600);
    archive_entry_set_mtime(entry, now, 0);
    if (archive_write_header(writer, entry) != ARCHIVE_OK ||
        archive_write_data(writer, content.data(), content.size()) !=
            static_cast<la_ssize_t>(content.size())) {
      result = make_error(ErrorCode::kIo, "cannot write {}: {}", path_text(out),
                          archive_error_string(writer));
    }
    archive_entry_free(entry);
  }
  if (archive_write_close(writer) != ARCHIVE_OK && result) {
    result = make_error(ErrorCode::kIo, "cannot write {}: {}", path_text(out),
                        archive_error_string(writer));
  }
  archive_write_free(writer);
  if (!result) return result;
  auto written =
      fs::write_file_atomically(out, bundle, fs::Access::kOwnerOnly, fs::Overwrite::kRefuse);
  if (!written && written.error().code == ErrorCode::kAlreadyExists) {
    return make_error(ErrorCode::kAlreadyExists,
                      "cannot create {}: it exists (ferry diagnose never overwrites a file: "
                      "choose another --out)",
                      path_text(out));
  }
  return written;
}

int run(const ParsedArgs& args, Io& io) {
  const bool dry_run = args.has("dry-run");
  const auto out = args.value("out");
  if (!out && !dry_run) {
    return fail(io, kExitUsage, "ferry diagnose: --out FILE.tar.gz is required (or --dry-run)");
  }
  std::size_t lines = kDefaultLogLines;
  if (const auto given = args.value("log-lines")) {
    try {
      lines = std::stoul(*given);
    } catch (const std::exception&) {
      return fail(io, kExitUsage,
                  fmt::format("ferry diagnose: --log-lines takes a number, not '{}'", *given));
    }
  }
  // The configuration must load (secrets are not read: the bundle never holds them).
  auto settings = load_settings(args, io, {.read_secret_files = false});
  if (!settings) return kExitUsage;
  const std::string config = path_text(settings->file);
  std::vector<Part> parts = {
      {"versions.txt", "Ferry, OpenSSL, SQLite, zstd, libarchive, Boost, kernel and OS versions",
       [] { return versions(); }},
      {"config.yaml", "the configuration file, every secret replaced by REDACTED",
       [&] { return redacted_config(*settings); }},
      {"check.json", "ferry check --json: every diagnostic, as it ran from here",
       [&] {
         return run_ferry({"check", "--json", "-c", config});
       }},
      {"status.json", "ferry status --json: what the running agent says (or that none runs)",
       [&] {
         return run_ferry({"status", "--json", "-c", config});
       }},
      {"log.txt", fmt::format("the last {} lines of the agent's log (file or journal)", lines),
       [&] { return log_lines(*settings, lines); }},
      {"spool.txt", "spool statistics: batches per kind, gaps, change-detection counts",
       [&] { return spool_statistics(*settings); }},
      {"files.txt", "the config file and the data_dir: names, modes, owners, sizes (no content)",
       [&] { return listing(*settings); }},
      {"audit.txt", "ferry audit verify: whether the audit log's chain is intact",
       [&] {
         return run_ferry({"audit", "verify", "-c", config});
       }},
  };
  if (dry_run) {
    io.out << "ferry diagnose would write these files (nothing is written with --dry-run):\n";
    io.out << fmt::format("  {:<16}{}\n", "README.txt",
                          "what the bundle holds, and what it never holds");
    for (const Part& part : parts)
      io.out << fmt::format("  {:<16}{}\n", part.name, part.description);
    return kExitOk;
  }
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("README.txt", readme(parts, *settings));
  for (const Part& part : parts) {
    io.err << fmt::format("collecting {}\n", part.name);
    files.emplace_back(part.name, part.collect());
  }
  const auto stamp = fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::time(nullptr)));
  if (auto written =
          write_bundle(*out, fmt::format("ferry-diagnose-{}-{}", settings->agent.id, stamp), files);
      !written) {
    return fail(io, kExitFailure, written.error().message);
  }
  io.out << fmt::format(
      "wrote {} ({} files): the configuration with secrets redacted, diagnostics, status, "
      "versions, log lines, spool statistics; no row value, secret or credential. Look it over, "
      "then send it to your vendor's support.\n",
      *out, files.size());
  return kExitOk;
}

}  // namespace

const CommandSpec& diagnose_command() {
  static const CommandSpec spec{
      .name = "diagnose",
      .summary = "write a support bundle (redacted config, diagnostics, logs)",
      .usage = "ferry diagnose [-c FILE] --out FILE.tar.gz [--dry-run] [--log-lines N]",
      .details =
          "Collects what support needs when something is wrong into one .tar.gz: the\n"
          "configuration with every secret replaced by REDACTED, ferry check --json,\n"
          "ferry status --json, versions, the last log lines (the log file, or the journal\n"
          "when this user may read it), spool statistics, the data_dir's listing and the audit\n"
          "chain's verification. It never holds a row value, a token secret or a credential.\n"
          "The file is created with mode 0600 and never overwritten. --dry-run lists the parts\n"
          "and writes nothing. Run it as root or as the agent's account to include everything.",
      .options = kOptions,
      .run = run,
  };
  return spec;
}

}  // namespace ferry::cli
