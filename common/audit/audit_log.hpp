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
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
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

class AuditLog {
 public:
  // Opens (creating, mode 0600) <data_dir>/audit.log. Trims entries older than `retention` once,
  // at open, when there are any.
  static Result<std::unique_ptr<AuditLog>> open(
      const std::filesystem::path& data_dir,
      std::chrono::seconds retention = kDefaultRetention);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one entry: `event` (e.g. "batch_acked") and its fields (names, counts, seqs, tokens;
  // never values or secrets). The entry is written and fsync'd before this returns.
  Result<void> append(std::string_view event, boost::json::object fields = {});

 private:
  struct Impl;
  explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct Entry {
  std::uint64_t seq = 0;
  std::string at;     // RFC 3339 UTC
  std::string event;
  boost::json::object fields;  // the whole entry as written
};

struct VerifyReport {
  std::uint64_t entries = 0;
  bool ok = true;
  std::uint64_t first_bad_line = 0;  // 1-based line number of the first entry that fails
  std::string problem;               // what is wrong with it, for a person
};

// Checks the chain of <data_dir>/audit.log. Err only when the file cannot be read.
Result<VerifyReport> verify(const std::filesystem::path& data_dir);

// The entries at or after `since` (all when nullopt), oldest first.
Result<std::vector<Entry>> read(const std::filesystem::path& data_dir,
                                std::optional<std::chrono::system_clock::time_point> since);

}  // namespace ferry::audit
