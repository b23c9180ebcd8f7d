// verify() and read(): both hold a shared lock on audit.log while they read it, so they see whole
// appends only and run beside an agent that is writing (which waits for them, briefly).
#include <fmt/format.h>

#include "common/audit/audit_log.hpp"
#include "common/audit/entry_line.hpp"
#include "common/audit/log_file.hpp"
#include "common/error/path_text.hpp"

namespace ferry::audit {
namespace {

using detail::ChainPoint;

tl::unexpected<Error> no_log_error(const std::filesystem::path& path) {
  return make_error(ErrorCode::kNotFound,
                    "no audit log at {}: the agent starts one when it first runs, and "
                    "'ferry keys init' when it creates the key file",
                    path_text(path));
}

// Walks the lines in order and stops at the first that breaks the chain. Each entry is vouched
// for by the next one's prev, and the last one by audit.head.
class ChainCheck {
 public:
  explicit ChainCheck(std::optional<ChainPoint> head) : head_(std::move(head)) {}

  // False once the chain is broken (the report says where).
  Result<bool> feed(const detail::Line& line);
  VerifyReport finish();
  VerifyReport& report() { return report_; }

 private:
  bool fail(std::uint64_t line, std::string problem) {
    report_.ok = false;
    report_.first_bad_line = line;
    report_.problem = std::move(problem);
    return false;
  }
  bool check_anchor(const detail::ParsedLine& parsed, std::uint64_t number);
  bool check_position(const detail::ParsedLine& parsed, std::uint64_t number);

  std::optional<ChainPoint> head_;
  bool head_matched_ = false;
  VerifyReport report_;
  std::uint64_t lines_ = 0;
  ChainPoint expected_;              // the seq and hash the next line must follow
  std::uint64_t vouching_line_ = 0;  // the line `expected_` came from (0: none yet)
  bool vouching_is_anchor_ = false;
};

bool ChainCheck::check_anchor(const detail::ParsedLine& parsed, std::uint64_t number) {
  if (number != 1) {
    return fail(number,
                fmt::format("line {} (seq {}): an audit_trimmed entry can only be the first "
                            "line: entries were moved, or two logs were joined",
                            number, parsed.seq));
  }
  report_.trimmed_through = parsed.seq;
  return true;
}

bool ChainCheck::check_position(const detail::ParsedLine& parsed, std::uint64_t number) {
  const std::string label = fmt::format("line {} (seq {})", number, parsed.seq);
  if (number == 1) {
    if (parsed.seq != 1) {
      return fail(1, fmt::format("{}: the log starts at seq {} without an audit_trimmed entry: its "
                                 "first entries were removed",
                                 label, parsed.seq));
    }
    if (parsed.prev != detail::kGenesisHash) {
      return fail(1, label + ": the first entry's prev is not 64 zeros: the entry was edited");
    }
    return true;
  }
  const std::uint64_t want = expected_.seq + 1;
  if (parsed.seq > want) {
    return fail(number, fmt::format("{}: expected seq {}: the entry with seq {} was removed, or "
                                    "entries were reordered",
                                    label, want, want));
  }
  if (parsed.seq < want) {
    return fail(number, fmt::format("{}: expected seq {}: entries were reordered or repeated",
                                    label, want));
  }
  if (parsed.prev != expected_.hash) {
    if (vouching_is_anchor_) {
      return fail(vouching_line_,
                  fmt::format("line {} (audit_trimmed): its removed_last_hash does not match the "
                              "prev of line {}: one of the two was edited",
                              vouching_line_, number));
    }
    return fail(vouching_line_,
                fmt::format("line {} (seq {}): its hash does not match the prev recorded by line "
                            "{}: this entry was edited (or the next entry's prev was)",
                            vouching_line_, expected_.seq, number));
  }
  return true;
}

Result<bool> ChainCheck::feed(const detail::Line& line) {
  const std::uint64_t number = line.number;
  lines_ = number;
  if (line.too_long) {
    return fail(number, fmt::format("line {}: longer than {} bytes, not an audit entry: something "
                                    "other than Ferry wrote into the log",
                                    number, kMaxLineBytes));
  }
  auto parsed = detail::parse_line(line.text);
  if (!parsed) {
    return fail(number, fmt::format("line {}: {}: the entry was edited or damaged", number,
                                    parsed.error().message));
  }
  const bool anchor = parsed->event == detail::kTrimmedEvent;
  if (anchor ? !check_anchor(*parsed, number) : !check_position(*parsed, number)) return false;
  auto point = detail::chain_point_after(*parsed, line.text);
  if (!point) return tl::unexpected(point.error());
  if (head_ && head_->seq == point->seq) {
    if (head_->hash != point->hash) {
      return fail(number, fmt::format("line {} (seq {}): its hash does not match the one "
                                      "recorded in audit.head: this entry, or the entries from "
                                      "here on, were rewritten",
                                      number, parsed->seq));
    }
    head_matched_ = true;
  }
  if (!anchor) {
    ++report_.entries;
    if (report_.first_seq == 0) report_.first_seq = parsed->seq;
    report_.last_seq = parsed->seq;
  }
  expected_ = std::move(*point);
  vouching_line_ = number;
  vouching_is_anchor_ = anchor;
  return true;
}

VerifyReport ChainCheck::finish() {
  if (!report_.ok) return report_;
  if (!head_) {
    if (lines_ > 0) {
      report_.notes.push_back(
          "no audit.head: the end of the log was not checked (removing its last entries would not "
          "be noticed)");
    }
    return report_;
  }
  if (head_->seq > expected_.seq && lines_ == 0) {
    fail(1, fmt::format("the log is empty but audit.head records seq {}: its entries were removed",
                        head_->seq));
    return report_;
  }
  if (head_->seq > expected_.seq) {
    fail(lines_ + 1,
         fmt::format("the log ends at seq {} (line {}) but audit.head records seq {}: entries were "
                     "removed from the end",
                     expected_.seq, lines_, head_->seq));
    return report_;
  }
  if (head_matched_) {
    report_.end_checked = true;
  } else {
    report_.notes.push_back(fmt::format(
        "audit.head (seq {}) is older than the first entry kept: the end of the log was not "
        "checked",
        head_->seq));
  }
  return report_;
}

// Reads audit.head, reporting rather than failing when it is damaged.
std::optional<ChainPoint> head_or_note(const std::filesystem::path& path,
                                       std::vector<std::string>& notes) {
  auto head = detail::read_head(path);
  if (head) return *head;
  notes.push_back(head.error().message + ": the end of the log was not checked");
  return std::nullopt;
}

}  // namespace

Result<VerifyReport> verify(const std::filesystem::path& data_dir) {
  const auto path = log_path(data_dir);
  auto file = detail::LockedFile::open(path, detail::LockMode::kShared);
  std::vector<std::string> head_notes;
  // Read under the lock: appends write the head after their line, both under the lock.
  auto head = head_or_note(head_path(data_dir), head_notes);
  if (!file) {
    if (file.error().code != ErrorCode::kNotFound) return tl::unexpected(file.error());
    if (!head) return no_log_error(path);
    VerifyReport report;
    report.ok = false;
    report.first_bad_line = 1;
    report.problem = fmt::format("{} is missing but audit.head records seq {}: the log was deleted",
                                 path_text(path), head->seq);
    return report;
  }
  ChainCheck check(std::move(head));
  check.report().notes = std::move(head_notes);
  detail::LineReader reader(*file);
  for (;;) {
    auto line = reader.next();
    if (!line) return tl::unexpected(line.error());
    if (!*line) break;
    if (!(*line)->complete) {
      check.report().notes.push_back(fmt::format(
          "line {} is incomplete (a write was cut short, e.g. by a power cut): not an entry; the "
          "agent removes it when it next writes",
          (*line)->number));
      break;
    }
    auto going = check.feed(**line);
    if (!going) return tl::unexpected(going.error());
    if (!*going) break;
  }
  return check.finish();
}

Result<std::vector<Entry>> read(const std::filesystem::path& data_dir,
                                std::optional<std::chrono::system_clock::time_point> since) {
  const auto path = log_path(data_dir);
  auto file = detail::LockedFile::open(path, detail::LockMode::kShared);
  if (!file) {
    if (file.error().code == ErrorCode::kNotFound) return no_log_error(path);
    return tl::unexpected(file.error());
  }
  std::vector<Entry> entries;
  detail::LineReader reader(*file);
  for (;;) {
    auto line = reader.next();
    if (!line) return tl::unexpected(line.error());
    if (!*line || !(*line)->complete) break;
    Entry entry;
    entry.line_number = (*line)->number;
    entry.line = std::move((*line)->text);
    auto parsed = detail::parse_line(entry.line);  // a too long line has no text: not an entry
    if (!parsed) {
      entry.valid = false;
    } else if (since && parsed->at_time < *since) {
      continue;
    } else {
      entry.seq = parsed->seq;
      entry.at = std::move(parsed->at);
      entry.event = std::move(parsed->event);
      entry.fields = std::move(parsed->object);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace ferry::audit
