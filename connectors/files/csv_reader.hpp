// Streams the records of an RFC 4180 CSV file from a ByteSource with bounded memory.
//
// Accepted: fields quoted or not, quotes doubled inside quoted fields, commas and line breaks
// inside quoted fields, UTF-8 with or without a byte order mark, records ended by LF, CRLF or CR,
// and a last record without a line break. Blank lines are skipped (they still count as lines).
//
// Bad records are reported as kBadRecord with their start line and a reason that never quotes
// the data, and the next call reads on, where the end of the bad record is certain:
//  - a well-formed record with the wrong number of fields (see expect_fields), or with bytes that
//    are not UTF-8: reading resumes after that record;
//  - a quote inside a field that does not start with one: an unquoted field cannot hold a line
//    break, so the record ends with the line that holds the quote, and reading resumes after it.
// A broken quoted field is different: a closing quote followed by something other than a comma or
// a line break, a quoted field still open at the end of the file, or a record longer than
// Limits::max_record_bytes (a quote never closed). Where that field really ends cannot be known,
// and guessing would read the text of the field (a dropped free-text column, say) as rows. So
// next() fails with kCorrupt "REASON: ..." (line() is the record's line) and keeps failing: the
// caller fails the file. in_file() names the file (and that line) in any error of next().
// A failure of the ByteSource itself, or a UTF-16 file, is an error too.
//
// Memory: one buffer of Limits::chunk_bytes, grown to hold a record up to max_record_bytes.
// Speed: fields are string_views into that buffer; doubled quotes are undone in place, so a record
// costs no allocation once the buffer and the field vector have reached their working size.
//
// Ownership: the reader borrows `source`, which must outlive it. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"
#include "connectors/files/byte_source.hpp"

namespace ferry::connectors::files {

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
  // `delimiter`: the byte between fields (',' in RFC 4180; ';', '|' or '\t' in some exports).
  // Never a quote or a line break.
  CsvReader(ByteSource& source, Limits limits, char delimiter = ',');

  // Reads the next record.
  Result<Outcome> next();

  // The fields of the last kRecord, valid until the next call to next().
  std::span<const std::string_view> fields() const { return views_; }

  // The 1-based physical line on which the last record or bad record starts (after a broken
  // quoted field: the line of the record that holds it).
  std::uint64_t line() const { return line_; }

  // Why the last kBadRecord is bad: "expected 12 fields, found 11". Never quotes the data.
  const std::string& reason() const { return reason_; }

  // Whether next() stopped at a broken quoted field.
  bool broken() const { return broken_.has_value(); }

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
  // On kComplete `consumed` is the record's length; on kMalformed the offset where it went wrong,
  // and `fatal` whether a quoted field broke.
  Scan scan(std::size_t& consumed, std::uint64_t& lines, bool& fatal);
  Result<Outcome> finish(std::size_t consumed, std::uint64_t lines);
  // Reports the record at begin_ as bad; `at` is the offset of the stray quote in it and `lines`
  // the line breaks before it, `fatal` a broken quoted field (see above).
  Result<Outcome> malformed(std::size_t at, std::uint64_t lines, bool fatal);
  Result<void> skip_line();
  bool skip_blank_lines();
  Result<void> check_encoding();

  ByteSource& source_;
  Limits limits_;
  char delimiter_;
  std::array<bool, 256> special_;  // bytes that end an unquoted field or make it malformed
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
  std::optional<Error> broken_;  // a broken quoted field: every later next() fails with this
};

// An error of reader.next() with the file in front: "users.csv:42: ..." after a broken quoted
// field, "users.csv: ..." for a failure to read the file.
Error in_file(Error error, std::string_view file, const CsvReader& reader);

}  // namespace ferry::connectors::files
