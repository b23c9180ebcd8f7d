#include "connectors/files/csv_reader.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/connectors/files/memory_source.hpp"

namespace ferry::connectors::files {
namespace {

using test::MemorySource;

// One thing the reader said: a record (its fields joined by '|'), a bad record (its reason), or
// the end; with the line it gave.
struct Item {
  char kind;  // 'r' record, 'b' bad record, 'x' the error that ends the file
  std::uint64_t line;
  std::string text;  // fields joined with '|', or the reason
  bool operator==(const Item&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Item& item) {
  return out << item.kind << "@" << item.line << ":" << item.text;
}

struct Options {
  std::size_t expect = 0;  // expect_fields after the first record, when not 0
  std::size_t expect_tail = 0;
  CsvReader::Limits limits{};
};

// Reads everything with reads of `step` bytes.
std::vector<Item> read_all(std::string_view input, std::size_t step, const Options& options = {}) {
  MemorySource source(input, step);
  CsvReader reader(source, options.limits);
  std::vector<Item> items;
  for (;;) {
    auto outcome = reader.next();
    if (!outcome) {
      // A broken quoted field: the reader stops there for good.
      CHECK(outcome.error().code == ErrorCode::kCorrupt);
      items.push_back({'x', reader.line(), outcome.error().message});
      auto again = reader.next();
      REQUIRE_FALSE(again.has_value());
      CHECK(again.error().message == outcome.error().message);
      return items;
    }
    if (*outcome == CsvReader::Outcome::kEnd) break;
    if (*outcome == CsvReader::Outcome::kBadRecord) {
      items.push_back({'b', reader.line(), reader.reason()});
      continue;
    }
    std::string joined;
    for (std::size_t i = 0; i < reader.fields().size(); ++i) {
      if (i > 0) joined += '|';
      joined += reader.fields()[i];
    }
    items.push_back({'r', reader.line(), joined});
    if (items.size() == 1 && options.expect != 0) {
      reader.expect_fields(options.expect, options.expect_tail);
    }
    // Asking again after the end keeps saying end.
  }
  auto again = reader.next();
  REQUIRE(again.has_value());
  CHECK(*again == CsvReader::Outcome::kEnd);
  return items;
}

// The same input must read the same whatever the read sizes and however small the buffer: every
// byte of it lands on a read boundary in one of these runs.
std::vector<Item> read_every_way(std::string_view input, Options options = {}) {
  const std::vector<Item> whole = read_all(input, static_cast<std::size_t>(-1), options);
  for (std::size_t step : {1, 2, 3, 5, 7, 64}) {
    INFO("reads of " << step << " bytes");
    CHECK(read_all(input, step, options) == whole);
  }
  Options tiny = options;
  tiny.limits.chunk_bytes = 4;
  for (std::size_t step : {1, 3, 1000}) {
    INFO("4-byte chunks, reads of " << step << " bytes");
    CHECK(read_all(input, step, tiny) == whole);
  }
  return whole;
}

// What the reader fails with after a broken quoted field (the line is the Item's).
std::string broken_at(std::uint64_t, std::string_view reason) {
  return fmt::format(
      "{}: where that field ends cannot be known, so nothing after it is read (the rest could be "
      "the field's own text); quote the field and double every quote inside it, then export "
      "again",
      reason);
}

constexpr std::string_view kNotClosed = "a quoted field is not closed before the end of the file";
constexpr std::string_view kAfterQuote =
    "a closing quote is followed by a character other than a comma or a line break";

}  // namespace

TEST_CASE("csv reader reads plain records with LF line ends") {
  CHECK(read_every_way("a,b,c\n1,2,3\n") ==
        std::vector<Item>{{'r', 1, "a|b|c"}, {'r', 2, "1|2|3"}});
}

TEST_CASE("csv reader reads CRLF line ends and a last line without a line break") {
  CHECK(read_every_way("a,b\r\n1,2\r\n3,4") ==
        std::vector<Item>{{'r', 1, "a|b"}, {'r', 2, "1|2"}, {'r', 3, "3|4"}});
}

TEST_CASE("csv reader reads old Mac CR line ends") {
  CHECK(read_every_way("a,b\r1,2\r") == std::vector<Item>{{'r', 1, "a|b"}, {'r', 2, "1|2"}});
}

TEST_CASE("csv reader keeps commas quotes and line breaks inside quoted fields") {
  const std::string input =
      "id,note\n"
      "1,\"a, b\"\n"
      "2,\"say \"\"hi\"\"\"\n"
      "3,\"two\nlines\"\n"
      "4,\"crlf\r\ninside\"\r\n"
      "5,\"\"\"\"\n"
      "6,after\n";
  CHECK(read_every_way(input) == std::vector<Item>{{'r', 1, "id|note"},
                                                   {'r', 2, "1|a, b"},
                                                   {'r', 3, "2|say \"hi\""},
                                                   {'r', 4, "3|two\nlines"},
                                                   {'r', 6, "4|crlf\r\ninside"},
                                                   {'r', 8, "5|\""},
                                                   {'r', 9, "6|after"}});
}

TEST_CASE("csv reader counts lines after records that span many lines") {
  const std::string input = "h\n\"a\n\nb\n\"\nnext\n\"x\r\ny\"\nlast";
  CHECK(read_every_way(input) == std::vector<Item>{{'r', 1, "h"},
                                                   {'r', 2, "a\n\nb\n"},
                                                   {'r', 6, "next"},
                                                   {'r', 7, "x\r\ny"},
                                                   {'r', 9, "last"}});
}

TEST_CASE("csv reader skips a UTF-8 byte order mark") {
  CHECK(read_every_way("\xEF\xBB\xBFsourcedId,name\nu1,\xC3\xA9l\xC3\xA8ve\n") ==
        std::vector<Item>{{'r', 1, "sourcedId|name"}, {'r', 2, "u1|\xC3\xA9l\xC3\xA8ve"}});
  CHECK(read_every_way("\xEF\xBB\xBF\"quoted\",x\n") == std::vector<Item>{{'r', 1, "quoted|x"}});
}

TEST_CASE("csv reader reads empty fields as empty strings") {
  CHECK(read_every_way("a,,c\n,,\n\"\",x,\"\"\n") ==
        std::vector<Item>{{'r', 1, "a||c"}, {'r', 2, "||"}, {'r', 3, "|x|"}});
  MemorySource source("a,,\n");
  CsvReader reader(source);
  REQUIRE(reader.next() == CsvReader::Outcome::kRecord);
  CHECK(reader.fields().size() == 3);
}

TEST_CASE("csv reader reads an empty file as no records") {
  CHECK(read_every_way("").empty());
  CHECK(read_every_way("\xEF\xBB\xBF").empty());
  CHECK(read_every_way("\n\r\n").empty());
}

TEST_CASE("csv reader reads a header-only file as one record") {
  CHECK(read_every_way("sourcedId,status") == std::vector<Item>{{'r', 1, "sourcedId|status"}});
  CHECK(read_every_way("sourcedId,status\r\n") == std::vector<Item>{{'r', 1, "sourcedId|status"}});
}

TEST_CASE("csv reader skips blank lines but counts them") {
  CHECK(read_every_way("a\n\n\r\nb\n\n") == std::vector<Item>{{'r', 1, "a"}, {'r', 4, "b"}});
}

TEST_CASE("csv reader reports ragged rows and reads on") {
  Options options;
  options.expect = 3;
  CHECK(read_every_way("a,b,c\n1,2\n1,2,3\n1,2,3,4\n\"x\ny\",2,3\n", options) ==
        std::vector<Item>{{'r', 1, "a|b|c"},
                          {'b', 2, "expected 3 fields, found 2"},
                          {'r', 3, "1|2|3"},
                          {'b', 4, "expected 3 fields, found 4"},
                          {'r', 5, "x\ny|2|3"}});
}

TEST_CASE("csv reader accepts an empty tail past the named columns and nothing more") {
  Options options;
  options.expect = 2;
  options.expect_tail = 4;
  CHECK(read_every_way("a,b,,\n1,2\n1,2,\n1,2,,\n1,2,3\n1,2,,,\n1\n", options) ==
        std::vector<Item>{{'r', 1, "a|b||"},
                          {'r', 2, "1|2"},
                          {'r', 3, "1|2"},
                          {'r', 4, "1|2"},
                          {'b', 5, "expected 2 fields, found 3"},
                          {'b', 6, "expected 2 fields, found 5"},
                          {'b', 7, "expected 2 fields, found 1"}});
}

TEST_CASE("csv reader stops at a quote left open at the end, reading none of what follows it") {
  CHECK(read_every_way("a,b\n1,\"open\n2,x\n3,y\n") ==
        std::vector<Item>{{'r', 1, "a|b"}, {'x', 2, broken_at(2, kNotClosed)}});
  CHECK(read_every_way("\"") == std::vector<Item>{{'x', 1, broken_at(1, kNotClosed)}});
}

TEST_CASE("csv reader reports a quote inside an unquoted field and reads on after its line") {
  CHECK(read_every_way("a,b\n1,x\"y\n2,z\n") ==
        std::vector<Item>{{'r', 1, "a|b"},
                          {'b', 2, "a quote inside a field that does not start with a quote"},
                          {'r', 3, "2|z"}});
  // The record started with a quoted field over two lines: it ends with the line of the stray
  // quote, not with the line it started on (which would resume inside the quoted field).
  CHECK(read_every_way("a,b,c\n1,\"two\nlines\",x\"y\n2,z,w\n") ==
        std::vector<Item>{{'r', 1, "a|b|c"},
                          {'b', 2, "a quote inside a field that does not start with a quote"},
                          {'r', 4, "2|z|w"}});
}

TEST_CASE("csv reader stops at characters after a closing quote") {
  CHECK(read_every_way("a,b\n1,\"x\"y\r\n2,z\r\n") ==
        std::vector<Item>{{'r', 1, "a|b"}, {'x', 2, broken_at(2, kAfterQuote)}});
}

TEST_CASE("csv reader never turns the text of a broken quoted field into rows") {
  // A free-text note with an unescaped quote and a line break; its second line has exactly the
  // columns a row needs. Resuming on the next line would make it a row.
  const std::string input =
      "sourcedId,givenName,note\n"
      "u1,Ada,\"said \"no\" to the trip\n"
      "u666,Mallory,injected words\"\n"
      "u2,Bo,fine\n";
  Options options;
  options.expect = 3;
  const auto items = read_every_way(input, options);
  REQUIRE(items.size() == 2);
  CHECK(items[0] == Item{'r', 1, "sourcedId|givenName|note"});
  CHECK(items[1] == Item{'x', 2, broken_at(2, kAfterQuote)});
  // The same with the quote opened on one line and closed on the next.
  CHECK(read_every_way("a,b\n1,\"open\n2,\"x\"\n3,y\n") ==
        std::vector<Item>{{'r', 1, "a|b"}, {'x', 2, broken_at(2, kAfterQuote)}});
}

TEST_CASE("csv reader stops at a record longer than the limit") {
  Options options;
  options.limits.chunk_bytes = 8;
  options.limits.max_record_bytes = 32;
  const std::string long_line = "1," + std::string(100, 'x') + "\n";
  const std::vector<Item> expected{
      {'r', 1, "a|b"},
      {'x', 2, broken_at(2, "a record is longer than 32 bytes (is a quote not closed?)")}};
  CHECK(read_all("a,b\n" + long_line + "2,y\n", 1, options) == expected);
  CHECK(read_all("a,b\n" + long_line + "2,y\n", 1000, options) == expected);
}

TEST_CASE("csv reader reads records far longer than its chunk") {
  Options options;
  options.limits.chunk_bytes = 16;
  const std::string big(10000, 'q');
  const auto items = read_all("a,\"" + big + "\"\nb,c\n", 7, options);
  REQUIRE(items.size() == 2);
  CHECK(items[0] == Item{'r', 1, "a|" + big});
  CHECK(items[1] == Item{'r', 2, "b|c"});
}

TEST_CASE("csv reader reports bytes that are not UTF-8 as a bad record") {
  CHECK(read_every_way("a,b\n1,caf\xE9\n2,ok\n3,\"\xC3\x28\"\n") ==
        std::vector<Item>{{'r', 1, "a|b"},
                          {'b', 2, "the record is not valid UTF-8 (export the file as UTF-8)"},
                          {'r', 3, "2|ok"},
                          {'b', 4, "the record is not valid UTF-8 (export the file as UTF-8)"}});
}

TEST_CASE("csv reader refuses a UTF-16 file with a fix") {
  MemorySource source(
      std::string("\xFF\xFE"
                  "a\0,\0b\0",
                  8));
  CsvReader reader(source);
  auto outcome = reader.next();
  REQUIRE_FALSE(outcome.has_value());
  CHECK(outcome.error().code == ErrorCode::kCorrupt);
  CHECK_THAT(outcome.error().message, Catch::Contains("export it as UTF-8"));
}

TEST_CASE("csv reader passes a source failure on as an error") {
  class FailingSource final : public ByteSource {
   public:
    Result<std::size_t> read(std::span<char>) override {
      return make_error(ErrorCode::kIo, "disk on fire");
    }
  };
  FailingSource source;
  CsvReader reader(source);
  auto outcome = reader.next();
  REQUIRE_FALSE(outcome.has_value());
  CHECK(outcome.error().code == ErrorCode::kIo);
}

TEST_CASE("csv reader never quotes the data in its reasons") {
  Options options;
  options.expect = 2;
  const auto items =
      read_every_way("h1,h2\nsecret1\nsecret4\"s,x\nsecret2,\"x\"secret3\n\"secret5", options);
  for (const Item& item : items) {
    if (item.kind != 'r') CHECK(item.text.find("secret") == std::string::npos);
  }
  CHECK(std::count_if(items.begin(), items.end(), [](const Item& i) { return i.kind == 'b'; }) ==
        2);
  CHECK(items.back().kind == 'x');
}

}  // namespace ferry::connectors::files
