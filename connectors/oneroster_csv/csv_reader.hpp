// Streams the records of an RFC 4180 CSV file from a ByteSource with bounded memory.
//
// Accepted: fields quoted or not, quotes doubled inside quoted fields, commas and line breaks
// inside quoted fields, UTF-8 with or without a byte order mark, records ended by LF, CRLF or CR,
// and a last record without a line break. Blank lines are skipped (they still count as lines).
//
// Malformed input never stops reading: the record is reported as kBadRecord with its start line
// and a reason that never quotes the data, and the next call reads on:
//  - a quote inside a field that does not start with one, a character other than a comma or a line
//    break after a closing quote, a quoted field still open at the end of the file, or a record
//    longer than Limits::max_record_bytes: the quoting is not to be trusted, so reading resumes at
//    the physical line after the one the bad record started on (a stray quote swallows at most
//    the rest of its own line, never the rest of the file);
//  - a well-formed record with the wrong number of fields (see expect_fields), or with bytes that
//    are not UTF-8: reading resumes after that record.
// Only a failure of the ByteSource itself (or a UTF-16 file) is an error.
//
// Memory: one buffer of Limits::chunk_bytes, grown to hold a record up to max_record_bytes.
// Speed: fields are string_views into that buffer; doubled quotes are undone in place, so a record
// costs no allocation once the buffer and the field vector have reached their working size.
//
// Ownership: the reader borrows `source`, which must outlive it. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"
#include "connectors/oneroster_csv/byte_source.hpp"

namespace ferry::connectors::oneroster_csv {

class CsvReader {
 public:
  struct Limits {
    std::size_t chunk_bytes = 256 * 1024;            // bytes asked of the source at once
    std::size_t max_record_bytes = 8 * 1024 * 1024;  // a longer record is a bad record
  };

  enum class Outcome {
    kRecord,     // fields() holds the record
    kBadRecord,  // reason() says why; line() where it starts
    kEnd,        // no more records
  };

  explicit CsvReader(ByteSource& source) : CsvReader(source, Limits{}) {}
  CsvReader(ByteSource& source, Limits limits);

  // Reads the next record.
  Result<Outcome> next();

  // The fields of the last kRecord, valid until the next call to next().
  std::span<const std::string_view> fields() const { return views_; }

  // The 1-based physical line on which the last record or bad record starts.
  std::uint64_t line() const { return line_; }

  // Why the last kBadRecord is bad: "expected 12 fields, found 11". Never quotes the data.
  const std::string& reason() const { return reason_; }

  // From now on a record must have `count` fields. A record with more fields is accepted only
  // when it has at most `count_with_empty_tail` fields and the ones past `count` are all empty;
  // fields() then holds the first `count`. This tolerates a header that ends in empty names
  // ("a,b,,") over rows that either stop at the named columns or carry the empty tail. 0 = any.
  void expect_fields(std::size_t count, std::size_t count_with_empty_tail = 0);

 private:
  struct Span {
    std::uint32_t begin = 0;  // offsets from the start of the record
    std::uint32_t end = 0;
    bool escaped = false;  // holds doubled quotes to undo
  };
  enum class Scan { kComplete, kNeedMore, kMalformed };

  Result<void> fill();
  Scan scan(std::size_t& consumed, std::uint64_t& lines);
  Result<Outcome> finish(std::size_t consumed, std::uint64_t lines);
  Result<Outcome> malformed();
  Result<void> skip_line();
  bool skip_blank_lines();
  Result<void> check_encoding();

  ByteSource& source_;
  Limits limits_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first byte not yet consumed
  std::size_t end_ = 0;    // one past the last byte read
  bool eof_ = false;
  bool started_ = false;
  std::uint64_t next_line_ = 1;  // line of buffer_[begin_]
  std::uint64_t line_ = 0;
  std::size_t expected_ = 0;
  std::size_t expected_with_tail_ = 0;
  std::vector<Span> spans_;
  std::vector<std::string_view> views_;
  std::string reason_;
};

}  // namespace ferry::connectors::oneroster_csv
