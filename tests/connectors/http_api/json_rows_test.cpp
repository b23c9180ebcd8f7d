// JsonRowReader on synthetic pages shaped like OneRoster REST, Ed-Fi and Canvas responses (no real
// people), fed whole, one byte at a time and in seeded random chunks; the public OneRoster 1.2
// sample is read where ../shared/testdata is present.
#include "connectors/http_api/json_rows.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/support/skip.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::connectors::http_api {
namespace {

using Catch::Matchers::Contains;

JsonColumn column(std::string path, bool descriptor = false) {
  std::string name = path;
  return JsonColumn{std::move(name), std::move(path), descriptor};
}

// A value as "s:text", "n:1.50", "b:true" or "-" (null).
std::string render(const Value& value) {
  switch (value.type) {
    case ValueType::kNull:
      return "-";
    case ValueType::kString:
      return "s:" + std::string(value.text);
    case ValueType::kNumber:
      return "n:" + std::string(value.text);
    case ValueType::kBool:
      return "b:" + std::string(value.text);
  }
  return "?";
}

// What a reader handed over for one document.
struct Run {
  std::vector<std::string> rows;  // values rendered and joined with " | "
  std::vector<std::string> bad;   // "index: reason"
  std::optional<Error> error;     // of write() or finish()
  std::uint64_t records = 0;
  bool saw_records_array = false;
  bool operator==(const Run& other) const {
    return rows == other.rows && bad == other.bad && records == other.records &&
           saw_records_array == other.saw_records_array &&
           error.has_value() == other.error.has_value() &&
           (!error || error->message == other.error->message);
  }
};

std::ostream& operator<<(std::ostream& out, const Run& run) {
  out << "records=" << run.records << " saw=" << run.saw_records_array << "\n";
  for (const auto& row : run.rows) out << "  row " << row << "\n";
  for (const auto& bad : run.bad) out << "  bad " << bad << "\n";
  if (run.error) out << "  error " << run.error->message << "\n";
  return out;
}

// How to cut the document into chunks.
struct Cut {
  std::size_t fixed = 0;          // chunks of this size; 0 = the whole document at once
  std::uint32_t random_seed = 0;  // when not 0: chunks of 1..97 bytes from this seed
};

Run parse(const std::string& records_path, std::vector<JsonColumn> columns,
          std::string_view document, Cut cut = {}, JsonRowLimits limits = {}) {
  Run run;
  auto reader = JsonRowReader::create(
      records_path, std::move(columns),
      [&](RowView row) -> Result<void> {
        std::string text;
        for (const Value& value : row) {
          if (!text.empty()) text += " | ";
          text += render(value);
        }
        run.rows.push_back(std::move(text));
        return {};
      },
      [&](std::uint64_t index, std::string reason) {
        run.bad.push_back(fmt::format("{}: {}", index, reason));
      },
      limits);
  REQUIRE(reader.has_value());
  std::mt19937 random(cut.random_seed);
  std::uniform_int_distribution<std::size_t> size(1, 97);
  std::size_t at = 0;
  while (at < document.size()) {
    std::size_t step = document.size();
    if (cut.random_seed != 0) {
      step = size(random);
    } else if (cut.fixed != 0) {
      step = cut.fixed;
    }
    step = std::min(step, document.size() - at);
    auto written = reader->write(document.substr(at, step));
    at += step;
    if (!written) {
      run.error = written.error();
      break;
    }
  }
  if (!run.error) {
    auto finished = reader->finish();
    if (!finished) run.error = finished.error();
  }
  run.records = reader->records();
  run.saw_records_array = reader->saw_records_array();
  return run;
}

// The same document whole, one byte at a time and in random chunks of three seeds: the same.
Run parse_every_way(const std::string& records_path, const std::vector<JsonColumn>& columns,
                    std::string_view document, JsonRowLimits limits = {}) {
  const Run whole = parse(records_path, columns, document, {}, limits);
  CHECK(parse(records_path, columns, document, {1, 0}, limits) == whole);
  for (const std::uint32_t seed : {1u, 7u, 2024u}) {
    INFO("seed " << seed);
    CHECK(parse(records_path, columns, document, {0, seed}, limits) == whole);
  }
  return whole;
}

std::vector<JsonColumn> oneroster_user_columns() {
  return {column("/sourcedId"),
          column("/status"),
          column("/dateLastModified"),
          column("/username"),
          column("/primaryOrg/sourcedId"),
          column("/orgs/*/sourcedId"),
          column("/grades"),
          column("/enabledUser"),
          column("/metadata/jp/kanaGivenName")};
}

const char* const kOneRosterPage = R"({
  "metadata": {"users": [{"sourcedId": "not a record"}], "count": 3},
  "users": [
    {
      "sourcedId": "u-1", "status": "active", "dateLastModified": "2023-01-23T01:48:55.101Z",
      "metadata": {"jp": {"kanaGivenName": "タロウ", "kanaFamilyName": "テスト"}},
      "username": "taro", "enabledUser": true,
      "roles": [{"roleType": "primary", "role": "student",
                 "org": {"href": "https://example.com/orgs/o-1", "sourcedId": "o-1", "type": "org"}}],
      "primaryOrg": {"href": "https://example.com/orgs/o-1", "sourcedId": "o-1", "type": "org"},
      "orgs": [{"href": "https://example.com/orgs/o-1", "sourcedId": "o-1", "type": "org"},
               {"href": "https://example.com/orgs/o-2", "sourcedId": "o-2", "type": "org"}],
      "grades": ["P1", "P2"]
    },
    {
      "status": "tobedeleted", "sourcedId": "u-2", "dateLastModified": "2023-02-01T00:00:00Z",
      "username": "hanako", "enabledUser": false, "orgs": [], "grades": [], "primaryOrg": null
    },
    {"sourcedId": "u-3", "grades": ["09"], "orgs": [{"sourcedId": "o-3"}],
     "metadata": {"jp": {"kanaGivenName": null}}}
  ],
  "statusInfoSet": [{"imsx_codeMajor": "success"}]
})";

TEST_CASE("a OneRoster users page gives one row per user with GUIDRefs flattened") {
  const Run run = parse_every_way("/users", oneroster_user_columns(), kOneRosterPage);
  CHECK_FALSE(run.error);
  CHECK(run.saw_records_array);
  CHECK(run.records == 3);
  CHECK(run.bad.empty());
  REQUIRE(run.rows.size() == 3);
  CHECK(run.rows[0] ==
        "s:u-1 | s:active | s:2023-01-23T01:48:55.101Z | s:taro | s:o-1 | s:o-1,o-2 | s:P1,P2 | "
        "b:true | s:タロウ");
  CHECK(run.rows[1] ==
        "s:u-2 | s:tobedeleted | s:2023-02-01T00:00:00Z | s:hanako | - | - | - | b:false | -");
  CHECK(run.rows[2] == "s:u-3 | - | - | - | - | s:o-3 | s:09 | - | -");
}

TEST_CASE("records under a deeper records path are found") {
  const Run run = parse_every_way("/data/users", {column("/id")},
                                  R"({"users":[{"id":"no"}],"data":{"next":null,"users":[{"id":1},)"
                                  R"({"id":2}]},"more":{"data":{"users":[{"id":"no"}]}}})");
  CHECK_FALSE(run.error);
  CHECK(run.rows == std::vector<std::string>{"n:1", "n:2"});
}

TEST_CASE("records path members with escaped names are matched") {
  const Run run = parse_every_way("/a~1b/c~0d", {column("/x~1y")},
                                  R"({"a/b":{"c~d":[{"x/y":"v"},{"x":{"y":"no"}}]}})");
  CHECK_FALSE(run.error);
  CHECK(run.rows == std::vector<std::string>{"s:v", "-"});
}

TEST_CASE("numbers are kept as written") {
  const Run run = parse_every_way(
      "", {column("/n")},
      R"([{"n":1.50},{"n":-0},{"n":1e5},{"n":1E-7},{"n":12345678901234567890},)"
      R"({"n":-9223372036854775808},{"n":100000000000000000000000.000},{"n":0},{"n":42}])");
  CHECK_FALSE(run.error);
  CHECK(run.rows == std::vector<std::string>{"n:1.50", "n:-0", "n:1e5", "n:1E-7",
                                             "n:12345678901234567890", "n:-9223372036854775808",
                                             "n:100000000000000000000000.000", "n:0", "n:42"});
}

TEST_CASE("booleans null and absent members map to their values") {
  const Run run = parse_every_way("/users", {column("/a"), column("/b"), column("/c")},
                                  R"({"users":[{"a":true,"b":false,"c":null},{"b":true},{}]})");
  CHECK_FALSE(run.error);
  CHECK(run.rows ==
        std::vector<std::string>{"b:true | b:false | -", "- | b:true | -", "- | - | -"});
}

TEST_CASE("strings are unescaped UTF-8") {
  const Run run = parse_every_way(
      "", {column("/s")},
      R"([{"s":"caf\u00e9 \"q\" a\\b\/c\n\t"},{"s":"\ud83d\ude00 日本語"},{"s":""}])");
  CHECK_FALSE(run.error);
  CHECK(run.rows == std::vector<std::string>{"s:café \"q\" a\\b/c\n\t", "s:😀 日本語", "s:"});
}

TEST_CASE("arrays of values and of GUIDRefs are joined in document order") {
  const std::vector<JsonColumn> columns{column("/grades"), column("/grades/*"),
                                        column("/orgs/*/sourcedId"), column("/orgs/*/type")};
  const Run run = parse_every_way("/users", columns,
                                  R"({"users":[
    {"grades":["09","10","11"],"orgs":[{"sourcedId":"o-1","type":"school"},
                                       {"type":"district","sourcedId":"o-2"},
                                       {"href":"x"},
                                       {"sourcedId":null,"type":"org"}]},
    {"grades":[],"orgs":[]},
    {"grades":["10"],"orgs":[{"sourcedId":"o-9"}]},
    {"grades":[null,"12",null,7,true],"orgs":{"sourcedId":"o-1"}},
    {"grades":"10","orgs":"o-1"},
    {"grades":null}
  ]})");
  CHECK_FALSE(run.error);
  CHECK(run.bad.empty());
  CHECK(run.rows == std::vector<std::string>{
                        "s:09,10,11 | s:09,10,11 | s:o-1,o-2 | s:school,district,org",
                        "- | - | - | -",
                        "s:10 | s:10 | s:o-9 | -",
                        "s:12,7,true | s:12,7,true | - | -",
                        "s:10 | - | - | -",
                        "- | - | - | -",
                    });
}

TEST_CASE("nested metadata members are selected by their path") {
  const Run run = parse_every_way(
      "/users", {column("/metadata/jp/kanaGivenName"), column("/metadata/jp/kanaFamilyName")},
      R"({"users":[{"metadata":{"other":{"jp":{"kanaGivenName":"no"}},)"
      R"("jp":{"kanaFamilyName":"テスト","kanaGivenName":"タロウ"}}},)"
      R"({"metadata":"x"},{"metadata":{"jp":[1,2]}}]})");
  CHECK_FALSE(run.error);
  CHECK(run.rows == std::vector<std::string>{"s:タロウ | s:テスト", "- | -", "- | -"});
}

TEST_CASE("a top-level array page is read with an empty records path") {
  const Run run = parse_every_way(
      "", {column("/id"), column("/name"), column("/enrollments/*/course_id")},
      R"( [ {"id": 101, "name": "Course A", "enrollments": [{"course_id": 5}, {"course_id": 6}]},
           {"id": 102, "name": "Course B"} ] )");
  CHECK_FALSE(run.error);
  CHECK(run.saw_records_array);
  CHECK(run.rows ==
        std::vector<std::string>{"n:101 | s:Course A | s:5,6", "n:102 | s:Course B | -"});
}

TEST_CASE("descriptor columns keep what follows the last hash") {
  const std::vector<JsonColumn> columns{
      column("/gradeLevelDescriptor", true), column("/gradeLevelDescriptor"),
      column("/gradeLevels/*/gradeLevelDescriptor", true), column("/code", true)};
  const Run run = parse_every_way(
      "", columns,
      R"([{"gradeLevelDescriptor":"uri://ed-fi.org/GradeLevelDescriptor#Tenth grade",
           "gradeLevels":[{"gradeLevelDescriptor":"uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"},
                          {"gradeLevelDescriptor":"uri://a#b#Tenth grade"},
                          {"gradeLevelDescriptor":"no hash"}],
           "code": 12},
          {"gradeLevelDescriptor":"Tenth grade#", "code":"#"}])");
  CHECK_FALSE(run.error);
  CHECK(run.rows == std::vector<std::string>{
                        "s:Tenth grade | s:uri://ed-fi.org/GradeLevelDescriptor#Tenth grade | "
                        "s:Ninth grade,Tenth grade,no hash | n:12",
                        "s: | s:Tenth grade# | - | s:"});
}

TEST_CASE("rows are the same whatever the chunk boundaries") {
  // Escapes, surrogate pairs, multi-byte UTF-8, long member names and numbers, so that every
  // kind of token is cut somewhere by the one-byte and the random feeds.
  std::string page = R"({"statusInfoSet":[],"users":[)";
  for (int i = 0; i < 40; ++i) {
    if (i > 0) page += ",";
    page += fmt::format(
        R"({{"skipped_member_with_a_long_name_{0}":{{"deep":[1,[2,{{"x":"\u00e9"}}]]}},)"
        R"("sourcedId":"id-{0}-\u00e9\ud83d\ude00-日本","score":{0}.{0}5e-{1},"flag":{2},)"
        R"("orgs":[{{"sourcedId":"o\"{0}"}},{{"sourcedId":"p\\{0}"}}],"nothing":null}})",
        i, i % 3, i % 2 == 0 ? "true" : "false");
  }
  page += R"(],"metadata":{"x":"y"}})";
  const Run run = parse_every_way("/users",
                                  {column("/sourcedId"), column("/score"), column("/flag"),
                                   column("/orgs/*/sourcedId"), column("/nothing")},
                                  page);
  CHECK_FALSE(run.error);
  REQUIRE(run.rows.size() == 40);
  CHECK(run.rows[0] == "s:id-0-é😀-日本 | n:0.05e-0 | b:true | s:o\"0,p\\0 | -");
  CHECK(run.rows[37] == "s:id-37-é😀-日本 | n:37.375e-1 | b:false | s:o\"37,p\\37 | -");
}

TEST_CASE("malformed JSON is an error that says at which byte") {
  const std::string page = R"({"users":[{"id":"a"},{"id":"b",}]})";
  const std::size_t at = page.find(",}") + 1;
  for (const std::size_t step : {std::size_t(0), std::size_t(1), std::size_t(5)}) {
    INFO("step " << step);
    const Run run = parse("/users", {column("/id")}, page, {step, 0});
    REQUIRE(run.error);
    CHECK(run.error->code == ErrorCode::kCorrupt);
    CHECK(run.error->message == fmt::format("malformed JSON at byte offset {}: syntax error", at));
    CHECK(run.rows == std::vector<std::string>{"s:a"});
  }
}

TEST_CASE("an error stays for every later call") {
  auto reader = JsonRowReader::create(
      "", {column("/id")}, [](RowView) -> Result<void> { return {}; },
      [](std::uint64_t, std::string) {});
  REQUIRE(reader);
  const auto first = reader->write("[1,}");
  REQUIRE_FALSE(first);
  const auto again = reader->write("]");
  REQUIRE_FALSE(again);
  CHECK(again.error().message == first.error().message);
  const auto finished = reader->finish();
  REQUIRE_FALSE(finished);
  CHECK(finished.error().message == first.error().message);
}

TEST_CASE("a records member that is not an array is an error") {
  for (const char* const page : {R"({"users":{"id":1}})", R"({"users":null})", R"({"users":"x"})",
                                 R"({"other":[],"users":3})"}) {
    INFO(page);
    const Run run = parse("/users", {column("/id")}, page);
    REQUIRE(run.error);
    CHECK(run.error->code == ErrorCode::kCorrupt);
    CHECK_THAT(run.error->message, Contains("the records path /users is"));
    CHECK_THAT(run.error->message, Contains("expected an array of records"));
    CHECK_FALSE(run.saw_records_array);
  }
  const Run object = parse("", {column("/id")}, R"({"id":1})");
  REQUIRE(object.error);
  CHECK(object.error->message ==
        "the document is an object, expected an array of records (at byte offset 0)");
}

TEST_CASE("a page without the records member reads no records and succeeds") {
  for (const char* const page : {R"({"statusInfoSet":[{"imsx_codeMajor":"failure"}]})",
                                 R"([{"users":[{"id":1}]}])", R"("users")", "{}"}) {
    INFO(page);
    const Run run = parse_every_way("/users", {column("/id")}, page);
    CHECK_FALSE(run.error);
    CHECK_FALSE(run.saw_records_array);
    CHECK(run.records == 0);
    CHECK(run.rows.empty());
  }
  const Run empty = parse("/users", {column("/id")}, R"({"users":[]})");
  CHECK_FALSE(empty.error);
  CHECK(empty.saw_records_array);
  CHECK(empty.records == 0);
}

TEST_CASE("a bad record in the middle leaves the rows before and after it") {
  const std::vector<JsonColumn> columns{column("/id"), column("/primaryOrg"), column("/grades"),
                                        column("/orgs/*/sourcedId")};
  const Run run = parse_every_way("/users", columns,
                                  R"({"users":[
    {"id":1,"primaryOrg":"o-1"},
    {"id":2,"primaryOrg":{"sourcedId":"o-1"},"grades":["09"]},
    {"id":3},
    42,
    [{"id":4}],
    "text",
    null,
    {"id":5,"grades":["09",{"g":"10"}]},
    {"id":6,"grades":[["09"]]},
    {"id":7,"orgs":[{"sourcedId":["o-1"]}]},
    {"id":8,"orgs":[{"sourcedId":{"id":"o-1"}}]},
    {"id":9,"grades":["12"],"primaryOrg":null}
  ]})");
  CHECK_FALSE(run.error);
  CHECK(run.records == 12);
  CHECK(run.rows ==
        std::vector<std::string>{"n:1 | s:o-1 | - | -", "n:3 | - | - | -", "n:9 | - | s:12 | -"});
  CHECK(run.bad == std::vector<std::string>{
                       "1: primaryOrg is an object, expected a value",
                       "3: record is a number, expected an object",
                       "4: record is an array, expected an object",
                       "5: record is a string, expected an object",
                       "6: record is null, expected an object",
                       "7: grades/* is an object, expected a value",
                       "8: grades/* is an array, expected a value",
                       "9: orgs/*/sourcedId is an array, expected a value",
                       "10: orgs/*/sourcedId is an object, expected a value",
                   });
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_CASE("nesting deeper than 64 levels is an error") {
  // The page object, the records array and the record take three levels.
  const std::string deep = R"({"users":[{"id":1,"x":)" + nested(62) + "}]}";
  const Run run = parse("/users", {column("/id")}, deep);
  REQUIRE(run.error);
  CHECK(run.error->code == ErrorCode::kCorrupt);
  CHECK(run.error->message == fmt::format("JSON nested deeper than 64 levels at byte offset {}",
                                          deep.find(std::string(62, '[')) + 61));

  const Run fits =
      parse("/users", {column("/id")}, R"({"users":[{"id":1,"x":)" + nested(61) + "}]}");
  CHECK_FALSE(fits.error);
  CHECK(fits.rows == std::vector<std::string>{"n:1"});
}

TEST_CASE("a string longer than 1 MiB makes its record bad") {
  const std::string huge(1024 * 1024 + 1, 'a');
  const std::string limit(1024 * 1024, 'b');
  const std::string page = R"({"users":[{"id":1},{"id":2,"name":")" + huge + R"(","x":[1]},)" +
                           R"({"id":3,"name":")" + limit + R"(","notes":")" + huge + huge +
                           R"("},{"id":4,"names":["a",")" + huge + R"("]}]})";
  const Run run =
      parse("/users", {column("/id"), column("/name"), column("/names")}, page, {64 * 1024, 0});
  CHECK_FALSE(run.error);
  REQUIRE(run.rows.size() == 2);
  CHECK(run.rows[0] == "n:1 | - | -");
  CHECK(run.rows[1] == "n:3 | s:" + limit + " | -");
  CHECK(run.bad == std::vector<std::string>{"1: name is longer than 1 MiB",
                                            "3: names/* is longer than 1 MiB"});
}

TEST_CASE("the selected values of a record have a limit in all") {
  JsonRowLimits limits;
  limits.max_value_bytes = 8;
  limits.max_record_bytes = 20;
  const Run run = parse_every_way(
      "", {column("/a"), column("/b"), column("/list/*")},
      R"([{"a":"12345678","b":"12345678"},{"a":"12345678","b":"123456789"},)"
      R"({"a":12345678901},{"list":["1234567","1234567","1234567"]},{"a":"12345678","b":1234}])",
      limits);
  CHECK_FALSE(run.error);
  CHECK(run.rows ==
        std::vector<std::string>{"s:12345678 | s:12345678 | -", "s:12345678 | n:1234 | -"});
  CHECK(run.bad ==
        std::vector<std::string>{"1: b is longer than 8 bytes", "2: a is longer than 8 bytes",
                                 "3: the selected values of the record are longer than 20 bytes"});
}

TEST_CASE("no record value appears in an error or a bad record reason") {
  const std::string secret = "Yamada-Secret";
  std::vector<std::string> messages;
  const std::vector<JsonColumn> columns{column("/id"), column("/primaryOrg"), column("/name"),
                                        column("/orgs/*/sourcedId")};
  JsonRowLimits limits;
  limits.max_value_bytes = 20;
  const std::vector<std::string> pages{
      R"({"users":[{"id":"Yamada-Secret","primaryOrg":{"sourcedId":"Yamada-Secret"}}]})",
      R"({"users":[{"name":"Yamada-Secret Yamada-Secret Yamada-Secret"}]})",
      R"({"users":[{"orgs":[{"sourcedId":["Yamada-Secret"]}]}]})",
      R"({"users":["Yamada-Secret"]})",
      R"({"users":"Yamada-Secret"})",
      R"({"users":[{"id":"Yamada-Secret"x}]})",
      R"({"users":[{"id":"Yamada-Secret)",
      R"({"users":[{"id":Yamada-Secret}]})",
      R"({"users":[]} "Yamada-Secret")",
      R"({"Yamada-Secret":1,"users":[{"Yamada-Secret":{"id":1},"primaryOrg":[{"a":1}]}]})",
  };
  for (const auto& page : pages) {
    for (const std::size_t step : {std::size_t(0), std::size_t(1), std::size_t(3)}) {
      const Run run = parse("/users", columns, page, {step, 0}, limits);
      if (run.error) messages.push_back(run.error->message);
      for (const auto& bad : run.bad) messages.push_back(bad);
    }
  }
  CHECK(messages.size() >= 27);
  for (const auto& message : messages) {
    INFO(message);
    CHECK_THAT(message, !Contains("Yamada") && !Contains("Secret"));
  }
}

TEST_CASE("an error of the row handler stops reading and comes back unchanged") {
  int rows = 0;
  auto reader = JsonRowReader::create(
      "/users", {column("/id")},
      [&](RowView) -> Result<void> {
        if (++rows == 2) return make_error(ErrorCode::kFull, "the spool is full");
        return {};
      },
      [](std::uint64_t, std::string) {});
  REQUIRE(reader);
  const auto written = reader->write(R"({"users":[{"id":1},{"id":2},{"id":3}]})");
  REQUIRE_FALSE(written);
  CHECK(written.error().code == ErrorCode::kFull);
  CHECK(written.error().message == "the spool is full");
  CHECK(rows == 2);
  CHECK(reader->records() == 2);
  const auto finished = reader->finish();
  REQUIRE_FALSE(finished);
  CHECK(finished.error().code == ErrorCode::kFull);
}

TEST_CASE("a document that ends early is an error at finish") {
  for (const char* const page : {R"({"users":[{"id":1},{"id":2)", R"({"users":[{"id":1})",
                                 R"({"users":[{"id":1}])", "", "  "}) {
    INFO("'" << page << "'");
    const std::string_view text(page);
    const Run run = parse_every_way("/users", {column("/id")}, text);
    REQUIRE(run.error);
    CHECK(run.error->code == ErrorCode::kCorrupt);
    CHECK(run.error->message ==
          fmt::format("the JSON document ends early, after {} bytes (a response cut short?)",
                      text.size()));
  }
  // A number at the very end is complete only at finish.
  const Run number = parse_every_way("/users", {column("/id")}, "12");
  CHECK_FALSE(number.error);
}

TEST_CASE("data after the document is an error") {
  const std::string page = R"({"users":[{"id":1}]}  {"users":[{"id":2}]})";
  for (const std::size_t step : {std::size_t(0), std::size_t(1)}) {
    const Run run = parse("/users", {column("/id")}, page, {step, 0});
    REQUIRE(run.error);
    CHECK(run.error->message ==
          fmt::format("unexpected data after the JSON document at byte offset {}",
                      page.find("  {") + 2));
    CHECK(run.rows == std::vector<std::string>{"n:1"});
  }
  CHECK_FALSE(parse("/users", {column("/id")}, "{\"users\":[]}\n\r\n \t").error);
}

TEST_CASE("bad paths are refused when the reader is made") {
  const auto make = [](std::string records, std::vector<JsonColumn> columns) {
    return JsonRowReader::create(
        std::move(records), std::move(columns), [](RowView) -> Result<void> { return {}; },
        nullptr);
  };
  const auto no_slash = make("users", {column("/id")});
  REQUIRE_FALSE(no_slash);
  CHECK(no_slash.error().code == ErrorCode::kConfig);
  CHECK_THAT(no_slash.error().message, Contains("records path 'users' is not a JSON pointer"));
  const auto star = make("/users/*", {column("/id")});
  REQUIRE_FALSE(star);
  CHECK_THAT(star.error().message, Contains("cannot hold '*'"));
  const auto empty = make("", {column("")});
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error().message, Contains("has no path"));
  const auto two = make("", {column("/a/*/b/*")});
  REQUIRE_FALSE(two);
  CHECK_THAT(two.error().message, Contains("more than one '*'"));
  const auto tilde = make("", {column("/a~2")});
  REQUIRE_FALSE(tilde);
  CHECK_THAT(tilde.error().message, Contains("'~' must be followed by 0 or 1"));
  CHECK(make("", {column("/id"), column("/id", true), column("/")}));
}

TEST_CASE("a member name too long to match is not kept") {
  const std::string long_name(4 * 1024 * 1024, 'k');
  const std::string page =
      R"({")" + long_name + R"(":1,"users":[{")" + long_name + R"(":"x","id":7}]})";
  auto reader = JsonRowReader::create(
      "/users", {column("/id")}, [](RowView) -> Result<void> { return {}; }, nullptr);
  REQUIRE(reader);
  const std::size_t before = reader->buffer_bytes();
  for (std::size_t at = 0; at < page.size(); at += 1000) {
    REQUIRE(reader->write(std::string_view(page).substr(at, 1000)));
    REQUIRE(reader->buffer_bytes() == before);
  }
  REQUIRE(reader->finish());
  CHECK(reader->records() == 1);
}

// A OneRoster user of about 700 bytes; `i` makes it unique.
std::string synthetic_user(std::size_t i) {
  return fmt::format(
      R"({{"sourcedId":"u-{0:08}","status":"active","dateLastModified":"2023-01-23T01:48:55.101Z",)"
      R"("metadata":{{"jp":{{"kanaGivenName":"タロウ","kanaFamilyName":"テスト","kanaMiddleName":""}}}},)"
      R"("userMasterIdentifier":"3c6e8551-cb1d-4d2f-99c3-e74d58c10fc8","username":"user{0}",)"
      R"("userIds":[{{"type":"LTI","identifier":"x-{0}"}}],"enabledUser":true,"givenName":"Taro",)"
      R"("familyName":"Test","middleName":"","roles":[{{"roleType":"primary","role":"student",)"
      R"("org":{{"href":"https://example.com/orgs/o-1","sourcedId":"o-1","type":"org"}}}}],)"
      R"("identifier":"{0}","email":"user{0}@example.com","sms":"","phone":"",)"
      R"("primaryOrg":{{"href":"https://example.com/orgs/o-1","sourcedId":"o-1","type":"org"}},)"
      R"("grades":["P{1}"],"shussekiNo":{2}}})",
      i, i % 6 + 1, i % 40);
}

std::vector<JsonColumn> synthetic_user_columns() {
  return {column("/sourcedId"),
          column("/status"),
          column("/dateLastModified"),
          column("/username"),
          column("/enabledUser"),
          column("/givenName"),
          column("/familyName"),
          column("/email"),
          column("/metadata/jp/kanaGivenName"),
          column("/roles/*/role"),
          column("/primaryOrg/sourcedId"),
          column("/grades"),
          column("/shussekiNo")};
}

// Feeds a page of `users` synthetic users in chunks of `chunk` bytes, generated as it goes.
template <class Feed>
void feed_synthetic_page(std::size_t users, std::size_t chunk, Feed&& feed) {
  std::string pending = R"({"users":[)";
  for (std::size_t i = 0; i < users; ++i) {
    if (i > 0) pending += ',';
    pending += synthetic_user(i);
    if (pending.size() >= chunk) {
      std::size_t at = 0;
      for (; pending.size() - at >= chunk; at += chunk)
        feed(std::string_view(pending).substr(at, chunk));
      pending.erase(0, at);
    }
  }
  pending += R"(],"statusInfoSet":[]})";
  feed(std::string_view(pending));
}

TEST_CASE("a 50 MB page is read in 64 KiB chunks without the reader's memory growing") {
  constexpr std::size_t kChunk = 64 * 1024;
  std::size_t users = 0;
  std::uint64_t rows = 0;
  std::string last_id;
  auto reader = JsonRowReader::create(
      "/users", synthetic_user_columns(),
      [&](RowView row) -> Result<void> {
        ++rows;
        last_id = row[0].text;
        return {};
      },
      nullptr);
  REQUIRE(reader);
  // Values grow by a few bytes while the ids get longer (user9 to user10000); after that the
  // reader holds the same memory for the second half of the page as for the first.
  std::size_t bytes = 0;
  std::size_t at_half = 0;
  std::size_t peak = 0;
  users = 50 * 1000 * 1000 / synthetic_user(0).size();
  feed_synthetic_page(users, kChunk, [&](std::string_view chunk) {
    REQUIRE(reader->write(chunk));
    bytes += chunk.size();
    if (at_half == 0 && rows >= users / 2) at_half = reader->buffer_bytes();
    peak = std::max(peak, reader->buffer_bytes());
  });
  REQUIRE(reader->finish());
  CHECK(bytes >= 50 * 1000 * 1000);
  CHECK(rows == users);
  CHECK(last_id == fmt::format("u-{:08}", users - 1));
  CHECK(users > 20 * 1000);
  CHECK(peak == at_half);
  CHECK(peak < 16 * 1024);
}

TEST_CASE("the OneRoster 1.2 Japan profile users sample is read") {
  FERRY_REQUIRE_TESTDATA(users, "oneroster-1.2-rest-json-jp/users.json");
  std::ifstream in(users, std::ios::binary);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(page.empty());
  const Run run =
      parse_every_way("/users",
                      {column("/sourcedId"), column("/status"), column("/dateLastModified"),
                       column("/username"), column("/primaryOrg/sourcedId"), column("/grades")},
                      page);
  CHECK_FALSE(run.error);
  CHECK(run.bad.empty());
  REQUIRE(run.rows.size() == 1);
  CHECK(run.rows[0] ==
        "s:fde2a968-1ac9-4c72-96bc-28bb20e3afb8 | s:active | s:2023-01-23T01:48:55.101Z | "
        "s:てすとたろう | s:500bc782-3ff9-4fd8-9dc7-ba6abfb38d80 | s:P1");
}

TEST_CASE("bench: JSON rows from synthetic OneRoster users", "[.bench]") {
  constexpr std::size_t kUsers = 200 * 1000;
  std::string page;
  feed_synthetic_page(kUsers, 1 << 30, [&](std::string_view chunk) { page += chunk; });
  std::uint64_t rows = 0;
  auto reader = JsonRowReader::create(
      "/users", synthetic_user_columns(),
      [&](RowView) -> Result<void> {
        ++rows;
        return {};
      },
      nullptr);
  REQUIRE(reader);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t at = 0; at < page.size(); at += 64 * 1024) {
    REQUIRE(reader->write(std::string_view(page).substr(at, 64 * 1024)));
  }
  REQUIRE(reader->finish());
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  REQUIRE(rows == kUsers);
  WARN(fmt::format("{} rows, {:.1f} MB in {:.3f} s: {:.0f} rows/s, {:.0f} MB/s", rows,
                   page.size() / 1e6, took.count(), rows / took.count(),
                   page.size() / 1e6 / took.count()));
}

}  // namespace
}  // namespace ferry::connectors::http_api
