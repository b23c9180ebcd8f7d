#include "connectors/files/csv_reader.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>

#include "connectors/files/utf8.hpp"

namespace ferry::connectors::files {
namespace {

// Bytes that end an unquoted field or make it malformed.
std::array<bool, 256> special_bytes(char delimiter) {
  std::array<bool, 256> table{};
  table[static_cast<unsigned char>(delimiter)] = true;
  table[static_cast<unsigned char>('\n')] = true;
  table[static_cast<unsigned char>('\r')] = true;
  table[static_cast<unsigned char>('"')] = true;
  return table;
}

// Physical line breaks in [p, end): LF, CRLF (once) and a lone CR.
std::uint64_t count_lines(const char* p, const char* end) {
  std::uint64_t lines = 0;
  for (; p < end; ++p) {
    if (*p == '\n') {
      ++lines;
    } else if (*p == '\r' && (p + 1 == end || p[1] != '\n')) {
      ++lines;
    }
  }
  return lines;
}

// Undoes doubled quotes in place and returns the new length.
std::size_t unescape(char* begin, char* end) {
  char* out = begin;
  for (const char* in = begin; in < end; ++in) {
    *out++ = *in;
    if (*in == '"') ++in;  // inside a quoted field a quote only ever comes doubled
  }
  return static_cast<std::size_t>(out - begin);
}

}  // namespace

CsvReader::CsvReader(ByteSource& source, Limits limits, char delimiter)
    : source_(source), limits_(limits), delimiter_(delimiter), special_(special_bytes(delimiter)) {
  assert(delimiter != '"' && delimiter != '\n' && delimiter != '\r');
  assert(limits_.chunk_bytes > 0);
  assert(limits_.max_record_bytes > 0 && limits_.max_record_bytes < (std::size_t{1} << 31));
}

void CsvReader::expect_fields(std::size_t count, std::size_t count_with_empty_tail) {
  expected_ = count;
  expected_with_tail_ = count_with_empty_tail < count ? count : count_with_empty_tail;
}

Result<void> CsvReader::fill() {
  const std::size_t pending = end_ - begin_;
  if (begin_ > 0) {
    if (pending > 0) std::memmove(buffer_.data(), buffer_.data() + begin_, pending);
    begin_ = 0;
    end_ = pending;
  }
  // Grow when the record in progress fills more than half the buffer, so that rescanning it after
  // each fill costs O(record) in total.
  if (buffer_.size() < limits_.chunk_bytes || pending > buffer_.size() / 2) {
    buffer_.resize(std::max(limits_.chunk_bytes, buffer_.size() * 2));
  }
  while (end_ < buffer_.size()) {
    auto got = source_.read(std::span<char>(buffer_.data() + end_, buffer_.size() - end_));
    if (!got) return tl::unexpected(std::move(got.error()));
    if (*got == 0) {
      eof_ = true;
      break;
    }
    end_ += *got;
  }
  return {};
}

// Skips a UTF-8 byte order mark; refuses UTF-16, which would otherwise read as garbage rows.
Result<void> CsvReader::check_encoding() {
  auto filled = fill();
  if (!filled) return tl::unexpected(std::move(filled.error()));
  const auto* bytes = reinterpret_cast<const unsigned char*>(buffer_.data());
  const std::size_t size = end_ - begin_;
  if (size >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) begin_ += 3;
  if (size >= 2 &&
      ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF))) {
    return make_error(
        ErrorCode::kCorrupt,
        "the file is UTF-16: export it as UTF-8 (OneRoster CSV files are UTF-8; a csv "
        "source also reads Windows-1252 with encoding: windows-1252)");
  }
  return {};
}

// Skips empty lines before a record. False when the buffer ran dry and must be filled first.
bool CsvReader::skip_blank_lines() {
  while (begin_ < end_) {
    const char c = buffer_[begin_];
    if (c == '\n') {
      ++begin_;
    } else if (c == '\r') {
      if (begin_ + 1 == end_ && !eof_) return false;  // a CRLF may be split across reads
      ++begin_;
      if (begin_ < end_ && buffer_[begin_] == '\n') ++begin_;
    } else {
      return true;
    }
    ++next_line_;
  }
  return eof_;
}

Result<CsvReader::Outcome> CsvReader::next() {
  views_.clear();
  if (broken_) return tl::unexpected(*broken_);
  reason_.clear();
  if (!started_) {
    started_ = true;
    auto encoding = check_encoding();
    if (!encoding) return tl::unexpected(std::move(encoding.error()));
  }
  while (!skip_blank_lines()) {
    auto filled = fill();
    if (!filled) return tl::unexpected(std::move(filled.error()));
  }
  if (begin_ == end_) return Outcome::kEnd;  // skip_blank_lines only stops empty at the end

  for (;;) {
    std::size_t consumed = 0;
    std::uint64_t lines = 0;
    bool fatal = false;
    const Scan scanned = scan(consumed, lines, fatal);
    if (scanned == Scan::kComplete) return finish(consumed, lines);
    if (scanned == Scan::kMalformed) return malformed(consumed, lines, fatal);
    assert(!eof_);
    if (end_ - begin_ >= limits_.max_record_bytes) {
      reason_ = fmt::format("a record is longer than {} bytes (is a quote not closed?)",
                            limits_.max_record_bytes);
      return malformed(0, 0, true);
    }
    auto filled = fill();
    if (!filled) return tl::unexpected(std::move(filled.error()));
  }
}

// Scans one record from buffer_[begin_]: field spans into spans_, and on kComplete the bytes and
// line breaks it took, its own terminator included. Sets reason_ on kMalformed.
CsvReader::Scan CsvReader::scan(std::size_t& consumed, std::uint64_t& lines, bool& fatal) {
  const char* const base = buffer_.data() + begin_;
  const char* const end = buffer_.data() + end_;
  const char* p = base;
  const auto offset = [base](const char* at) { return static_cast<std::uint32_t>(at - base); };
  spans_.clear();
  lines = 0;

  for (;;) {  // one field per turn
    char after = 0;
    if (p < end && *p == '"') {
      const char* const content = ++p;
      bool escaped = false;
      for (;;) {
        const auto* quote = static_cast<const char*>(std::memchr(p, '"', end - p));
        if (quote == nullptr) {
          if (!eof_) return Scan::kNeedMore;
          reason_ = "a quoted field is not closed before the end of the file";
          fatal = true;
          return Scan::kMalformed;
        }
        if (quote + 1 == end && !eof_) return Scan::kNeedMore;  // closing, or half of ""?
        lines += count_lines(p, quote);
        p = quote + 1;
        if (p < end && *p == '"') {
          escaped = true;
          ++p;
          continue;
        }
        spans_.push_back({offset(content), offset(quote), escaped});
        break;
      }
      if (p == end) break;  // last record of the file, without a line break
      after = *p;
      if (after != delimiter_ && after != '\n' && after != '\r') {
        reason_ = delimiter_ == ','
                      ? "a closing quote is followed by a character other than a comma or a line "
                        "break"
                      : "a closing quote is followed by a character other than the delimiter or "
                        "a line break";
        fatal = true;
        return Scan::kMalformed;
      }
    } else {
      const char* const start = p;
      while (p < end && !special_[static_cast<unsigned char>(*p)]) ++p;
      if (p == end) {
        if (!eof_) return Scan::kNeedMore;
        spans_.push_back({offset(start), offset(p), false});
        break;
      }
      after = *p;
      if (after == '"') {
        reason_ = "a quote inside a field that does not start with a quote";
        consumed = static_cast<std::size_t>(p - base);
        return Scan::kMalformed;
      }
      spans_.push_back({offset(start), offset(p), false});
    }
    // `after` is the separator or line break at p.
    if (after == delimiter_) {
      ++p;
      continue;
    }
    if (after == '\r') {
      if (p + 1 == end && !eof_) return Scan::kNeedMore;
      if (p + 1 < end && p[1] == '\n') ++p;
    }
    ++p;
    ++lines;
    break;
  }
  consumed = static_cast<std::size_t>(p - base);
  return Scan::kComplete;
}

Result<CsvReader::Outcome> CsvReader::finish(std::size_t consumed, std::uint64_t lines) {
  char* const base = buffer_.data() + begin_;
  line_ = next_line_;
  begin_ += consumed;
  next_line_ += lines;

  if (!is_valid_utf8(std::string_view(base, consumed))) {
    reason_ = "the record is not valid UTF-8 (export the file as UTF-8)";
    return Outcome::kBadRecord;
  }
  std::size_t count = spans_.size();
  if (expected_ != 0 && count != expected_) {
    bool empty_tail = count > expected_ && count <= expected_with_tail_;
    for (std::size_t i = expected_; empty_tail && i < count; ++i) {
      empty_tail = spans_[i].begin == spans_[i].end;
    }
    if (!empty_tail) {
      reason_ = fmt::format("expected {} fields, found {}", expected_, count);
      return Outcome::kBadRecord;
    }
    count = expected_;
  }
  views_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const Span& span = spans_[i];
    char* const first = base + span.begin;
    const std::size_t size =
        span.escaped ? unescape(first, base + span.end) : std::size_t{span.end - span.begin};
    views_.emplace_back(first, size);
  }
  return Outcome::kRecord;
}

Result<CsvReader::Outcome> CsvReader::malformed(std::size_t at, std::uint64_t lines, bool fatal) {
  line_ = next_line_;
  if (fatal) {
    broken_ = Error{ErrorCode::kCorrupt,
                    fmt::format("{}: where that field ends cannot be known, so nothing after it "
                                "is read (the rest could be the field's own text); quote the field "
                                "and double every quote inside it, then export again",
                                reason_)};
    return tl::unexpected(*broken_);
  }
  // The stray quote's line ends the record: an unquoted field holds no line break.
  begin_ += at;
  next_line_ += lines;
  auto skipped = skip_line();
  if (!skipped) return tl::unexpected(std::move(skipped.error()));
  return Outcome::kBadRecord;
}

Result<void> CsvReader::skip_line() {
  for (;;) {
    const char* const data = buffer_.data();
    const char* p = data + begin_;
    const char* const end = data + end_;
    while (p < end && *p != '\n' && *p != '\r') ++p;
    if (p < end) {
      if (*p == '\r' && p + 1 == end && !eof_) {
        begin_ = static_cast<std::size_t>(p - data);  // keep the CR: is an LF next?
      } else {
        if (*p == '\r' && p + 1 < end && p[1] == '\n') ++p;
        begin_ = static_cast<std::size_t>(p + 1 - data);
        ++next_line_;
        return {};
      }
    } else {
      begin_ = end_;
      if (eof_) return {};
    }
    auto filled = fill();
    if (!filled) return filled;
  }
}

Error in_file(Error error, std::string_view file, const CsvReader& reader) {
  error.message = reader.broken() ? fmt::format("{}:{}: {}", file, reader.line(), error.message)
                                  : fmt::format("{}: {}", file, error.message);
  return error;
}

}  // namespace ferry::connectors::files
