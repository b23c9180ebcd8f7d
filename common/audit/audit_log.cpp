#include "common/audit/audit_log.hpp"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <utility>

#include "common/audit/entry_line.hpp"
#include "common/audit/log_file.hpp"
#include "common/error/path_text.hpp"

namespace ferry::audit {

using detail::ChainPoint;
using detail::LockedFile;
using detail::LockMode;

std::filesystem::path log_path(const std::filesystem::path& data_dir) {
  return data_dir / kFileName;
}

std::filesystem::path head_path(const std::filesystem::path& data_dir) {
  return data_dir / kHeadFileName;
}

namespace {

struct PendingEntry {
  std::string event;
  boost::json::object fields;
};

// Where the chain stands in `file`, whose last complete line is `line`. A last line that is not an
// entry (someone wrote into the log) still chains: the next entry's prev is its hash and its seq
// follows the highest seq in the file, so the log goes on and verify shows the damage.
Result<ChainPoint> chain_point_at_end(const LockedFile& file, const std::string& line) {
  if (auto parsed = detail::parse_line(line)) return detail::chain_point_after(*parsed, line);
  auto hash = sha256_hex(line);
  if (!hash) return tl::unexpected(hash.error());
  ChainPoint point{0, std::move(*hash)};
  detail::LineReader reader(file);
  for (;;) {
    auto next = reader.next();
    if (!next) return tl::unexpected(next.error());
    if (!*next) break;
    if (!(*next)->complete || (*next)->too_long) continue;
    if (auto parsed = detail::parse_line((*next)->text)) {
      point.seq = std::max(point.seq, parsed->seq);
    }
  }
  return point;
}

}  // namespace

struct AuditLog::Impl {
  std::filesystem::path path;
  std::filesystem::path head;
  OpenOptions options;
  std::mutex mutex;  // one append (or trim) at a time in this process; flock does the rest

  // The end of the file as this process last wrote or read it: valid while the file is the same
  // one (device, inode) with the same size. Another process's append changes the size.
  std::uint64_t known_volume = 0;
  std::uint64_t known_id = 0;
  detail::Offset known_size = -1;
  std::optional<ChainPoint> tail;

  std::chrono::system_clock::time_point now() const {
    return options.clock ? options.clock() : std::chrono::system_clock::now();
  }

  bool knows(const detail::FileStatus& info) const {
    return known_size == info.size && known_volume == info.volume && known_id == info.id;
  }

  // Learns where the chain stands at the end of the locked file, cutting a line a crash left
  // incomplete. Returns how many bytes were cut.
  Result<detail::Offset> sync_tail(const LockedFile& file, detail::FileStatus& info) {
    detail::Offset dropped = 0;
    if (info.size > 0) {
      auto end = detail::read_tail(file, info.size);
      if (!end) return tl::unexpected(end.error());
      if (end->complete_size != info.size) {
        if (auto cut = file.truncate(end->complete_size); !cut) return tl::unexpected(cut.error());
        dropped = info.size - end->complete_size;
        info.size = end->complete_size;
      }
      if (end->last_line_too_long) {
        return make_error(ErrorCode::kCorrupt,
                          "the last line of {} is longer than any audit entry: move the file "
                          "aside, keep it as evidence, and restart the agent",
                          path_text(path));
      }
      if (end->last_line) {
        auto point = chain_point_at_end(file, *end->last_line);
        if (!point) return tl::unexpected(point.error());
        tail = std::move(*point);
      }
    }
    if (info.size == 0 && !tail) {
      // A new log. If audit.head says entries were written before, go on from there, so that a
      // deleted log shows as a log whose first entries are missing rather than a fresh start.
      auto recorded = detail::read_head(head);
      tail = recorded && *recorded ? **recorded : ChainPoint{};
    }
    return dropped;
  }

  // Writes `entries` (and first an audit_tail_repaired entry when a crash left an incomplete
  // line) to the locked file, then the head record.
  Result<void> write_locked(const LockedFile& file, std::vector<PendingEntry> entries) {
    auto info = file.status();
    if (!info) return tl::unexpected(info.error());
    std::vector<PendingEntry> all;
    if (!knows(*info)) {
      known_size = -1;
      auto dropped = sync_tail(file, *info);
      if (!dropped) return tl::unexpected(dropped.error());
      if (*dropped > 0) {
        all.push_back({std::string(detail::kRepairedEvent),
                       {{"dropped_bytes", static_cast<std::int64_t>(*dropped)}}});
      }
    }
    std::move(entries.begin(), entries.end(), std::back_inserter(all));
    if (all.empty()) return remember(*info, 0);

    ChainPoint point = *tail;
    const std::string at = format_timestamp(now());
    std::string text;
    for (const auto& entry : all) {
      std::string line =
          detail::format_line(point.seq + 1, at, entry.event, point.hash, entry.fields);
      if (line.size() > kMaxLineBytes) {
        return make_error(ErrorCode::kInvalidArgument,
                          "audit event '{}' is {} bytes, more than the {} an entry may take",
                          entry.event, line.size(), kMaxLineBytes);
      }
      auto hash = sha256_hex(line);
      if (!hash) return tl::unexpected(hash.error());
      point = ChainPoint{point.seq + 1, std::move(*hash)};
      text += line;
      text += '\n';
    }
    if (auto written = file.append_durably(text); !written) {
      known_size = -1;  // whatever reached the file, the next append reads the end again
      return tl::unexpected(written.error());
    }
    tail = point;
    // Best effort: the entry is durable; a stale head only weakens the check of the log's end,
    // and verify says so. Failing here would make callers retry and write the entry twice.
    (void)detail::write_head(head, point);
    return remember(*info, static_cast<detail::Offset>(text.size()));
  }

  Result<void> remember(const detail::FileStatus& info, detail::Offset appended) {
    known_volume = info.volume;
    known_id = info.id;
    known_size = info.size + appended;
    return {};
  }

  // Replaces the locked file by one that starts with an audit_trimmed anchor followed by the
  // entries at or after the cutoff, verbatim.
  Result<void> trim_locked(LockedFile& file) {
    if (!options.retention || options.retention->count() <= 0) return {};
    const auto cutoff = now() - *options.retention;
    auto info = file.status();
    if (!info) return tl::unexpected(info.error());
    detail::LineReader reader(file);
    std::optional<detail::ParsedLine> last_removed;
    std::string last_removed_hash;
    detail::Offset keep_from = 0;
    for (;;) {
      auto next = reader.next();
      if (!next) return tl::unexpected(next.error());
      if (!*next || !(*next)->complete || (*next)->too_long) break;
      auto parsed = detail::parse_line((*next)->text);
      if (!parsed) break;  // not an entry: keep it and all after it for verify to show
      const bool old_anchor = (*next)->number == 1 && parsed->event == detail::kTrimmedEvent;
      if (!old_anchor && parsed->at_time >= cutoff) break;
      keep_from = (*next)->end;
      if (old_anchor) continue;
      auto hash = sha256_hex((*next)->text);
      if (!hash) return tl::unexpected(hash.error());
      last_removed_hash = std::move(*hash);
      last_removed = std::move(*parsed);
    }
    if (!last_removed) return {};

    auto kept = file.read_range(keep_from, info->size - keep_from);
    if (!kept) return tl::unexpected(kept.error());
    const boost::json::object anchor_fields{{"removed_through_seq", last_removed->seq},
                                            {"removed_last_hash", last_removed_hash},
                                            {"removed_before", format_timestamp(cutoff)}};
    std::string content =
        detail::format_line(last_removed->seq, format_timestamp(now()), detail::kTrimmedEvent,
                            last_removed->prev, anchor_fields);
    content += '\n';
    content += *kept;
    known_size = -1;  // a new file; the chain point at its end is unchanged
    return file.replace(content);
  }
};

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& data_dir,
                                                 std::chrono::seconds retention) {
  return open(data_dir, OpenOptions{.retention = retention, .clock = {}});
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& data_dir,
                                                 OpenOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->path = log_path(data_dir);
  impl->head = head_path(data_dir);
  impl->options = std::move(options);
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(impl)));
  if (auto trimmed = log->trim(); !trimmed) return tl::unexpected(trimmed.error());
  return log;
}

Result<void> AuditLog::append(std::string_view event, boost::json::object fields) {
  if (auto allowed = detail::check_caller_entry(event, fields); !allowed) {
    return tl::unexpected(allowed.error());
  }
  std::lock_guard guard(impl_->mutex);
  auto file = LockedFile::open(impl_->path, LockMode::kExclusive);
  if (!file) return tl::unexpected(file.error());
  std::vector<PendingEntry> entries;
  entries.push_back(PendingEntry{std::string(event), std::move(fields)});
  return impl_->write_locked(*file, std::move(entries));
}

Result<void> AuditLog::trim() {
  std::lock_guard guard(impl_->mutex);
  auto file = LockedFile::open(impl_->path, LockMode::kExclusive);
  if (!file) return tl::unexpected(file.error());
  // First learn the end of the file (and repair it), so that the anchor never hides a torn line.
  if (auto synced = impl_->write_locked(*file, {}); !synced) return synced;
  return impl_->trim_locked(*file);
}

}  // namespace ferry::audit
