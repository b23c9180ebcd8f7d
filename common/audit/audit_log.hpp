// The audit log: an append-only record, in <data_dir>/audit.log, of what the agent did on the
// school's behalf (start and stop, configuration loaded, keys created or rotated, batches sent and
// acknowledged, erasures, tenant commands, refusals). It holds names, counts, sequence numbers and
// tokens; never row values, never secrets.
//
// Each entry is one JSON line that carries the SHA-256 of the line before it, so an edited, removed
// or reordered entry breaks the chain and verify() names the first bad entry. Trimming to the
// retention period keeps the chain verifiable from the first entry kept.
//
// Threads and processes: append() may be called from any thread; the file is locked (flock) for
// each append, so a one-shot command (`ferry keys rotate`) and a running agent can both write.
//
// The line format, the trimming anchor, the head record (<data_dir>/audit.head) and what the chain
// does and does not prove are described for administrators in docs/audit.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "common/error/error.hpp"

namespace ferry::audit {

inline constexpr std::string_view kFileName = "audit.log";
inline constexpr std::chrono::hours kDefaultRetention{24 * 90};

// The head record: the seq and hash of the last entry written, rewritten after each append, so
// that verify() notices entries removed from the end of the log.
inline constexpr std::string_view kHeadFileName = "audit.head";

// A line longer than this is refused by append() and is not an entry to verify().
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

// <data_dir>/audit.log and <data_dir>/audit.head.
std::filesystem::path log_path(const std::filesystem::path& data_dir);
std::filesystem::path head_path(const std::filesystem::path& data_dir);

// The time entries are stamped with and trimming measures against; tests pass a fixed one.
using Clock = std::function<std::chrono::system_clock::time_point()>;

struct OpenOptions {
  // Entries older than this are removed at open (and by trim()). nullopt, zero or negative: never
  // trim. A one-shot command that does not know the configured retention passes nullopt, so that
  // it never trims what the agent's longer retention would keep.
  std::optional<std::chrono::seconds> retention = kDefaultRetention;
  Clock clock;  // empty: std::chrono::system_clock::now
};

class AuditLog {
 public:
  // Opens (creating, mode 0600) <data_dir>/audit.log. Trims entries older than `retention` once,
  // at open, when there are any.
  static Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& data_dir,
                                                std::chrono::seconds retention = kDefaultRetention);
  // The same with a chosen clock, or without trimming. The data directory must exist. A last line
  // left incomplete by a crash is removed, and an "audit_tail_repaired" entry says how many bytes.
  static Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& data_dir,
                                                OpenOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one entry: `event` (e.g. "batch_acked") and its fields (names, counts, seqs, tokens;
  // never values or secrets). The entry is written and fsync'd before this returns.
  // kInvalidArgument (nothing written) when `event` is not lowercase letters, digits and '_',
  // starts with "audit_" (the log's own events), when a field is named seq, at, event or prev, or
  // when the line would exceed kMaxLineBytes.
  Result<void> append(std::string_view event, boost::json::object fields = {});

  // Removes entries older than the retention now, as open() does; for an agent that runs for
  // months (call it, say, daily). Does nothing when the options say never trim.
  Result<void> trim();

 private:
  struct Impl;
  explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct Entry {
  std::uint64_t seq = 0;
  std::string at;  // RFC 3339 UTC
  std::string event;
  boost::json::object fields;     // the whole entry as written
  std::uint64_t line_number = 0;  // 1-based, in the file as read
  std::string line;               // the exact bytes of the line, without its newline
  bool valid = true;  // false: the line is not an audit entry (only line_number and line are set)
};

struct VerifyReport {
  std::uint64_t entries = 0;
  bool ok = true;
  std::uint64_t first_bad_line = 0;  // 1-based line number of the first entry that fails
  std::string problem;               // what is wrong with it, for a person
  std::uint64_t first_seq = 0;       // first and last entry checked (0 when there are none)
  std::uint64_t last_seq = 0;
  std::uint64_t trimmed_through = 0;  // the log starts after trimming entries 1..this; 0: never
  bool end_checked = false;           // audit.head matched an entry: nothing removed at the end
  std::vector<std::string> notes;     // limits of this check, for a person ("no audit.head ...")
};

// Checks the chain of <data_dir>/audit.log. Err only when the file cannot be read (kNotFound when
// neither audit.log nor audit.head exists; a missing log with a head record is a failed report).
Result<VerifyReport> verify(const std::filesystem::path& data_dir);

// The entries at or after `since` (all when nullopt), oldest first. Lines that are not entries
// are returned too (valid == false), whatever `since`, so that a damaged log is still shown.
Result<std::vector<Entry>> read(const std::filesystem::path& data_dir,
                                std::optional<std::chrono::system_clock::time_point> since);

// Lowercase hex SHA-256 of `bytes`: for the "sha256" field of "config_loaded" (hash the
// configuration file's bytes as read), and the hash the chain uses.
Result<std::string> sha256_hex(std::string_view bytes);

// "2026-11-23T08:15:02.123Z": UTC with milliseconds, as entries carry it.
std::string format_timestamp(std::chrono::system_clock::time_point time);

// A date ("2026-11-23", midnight UTC) or an RFC 3339 date-time ("2026-11-23T08:15:02Z",
// "2026-11-23T09:15:02.5+01:00"). kInvalidArgument names the accepted forms.
Result<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);

}  // namespace ferry::audit
