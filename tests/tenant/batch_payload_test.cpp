#include "tests/tenant/batch_payload.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/x25519.hpp"
#include "tests/tenant/tenant_test_util.hpp"

namespace ferry::tenant {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

const std::string kRow1 = R"({"_op":"upsert","id":"p1.a","grades":["09"],"n":{"x":1}})";
const std::string kRow2 = R"({"_op":"delete","id":"p1.b"})";

std::string message_of(const Result<void>& checked) {
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kInvalidArgument);
  return checked.error().message;
}

TEST_CASE("JSON Lines of objects pass when their count is the header's rows") {
  CHECK(check_json_lines(kRow1 + "\n" + kRow2 + "\n", 2));
  CHECK(check_json_lines(kRow1 + "\n" + kRow2, 2));  // the last newline may be missing
  CHECK(check_json_lines(kRow1 + "\r\n", 1));
  CHECK(check_json_lines(" {} \n", 1));
  CHECK(check_json_lines("", 0));
}

TEST_CASE("a line that is not JSON is refused, naming the line and never its content") {
  const std::string secret = "Ann Example";
  auto message = message_of(check_json_lines(kRow1 + "\n{\"name\":\"" + secret + "\"\n", 2));
  CHECK_THAT(message, Catch::StartsWith("line 2 is not JSON ("));
  CHECK_THAT(message, !Catch::Contains(secret));

  CHECK_THAT(message_of(check_json_lines(secret + "\n", 1)),
             Catch::StartsWith("line 1 is not JSON"));
  // Two objects on one line: the position is the second one's first byte.
  CHECK(message_of(check_json_lines(kRow1 + " " + kRow2 + "\n", 1)) ==
        "line 1 is not JSON (extra data at byte 58)");
  // Not UTF-8.
  CHECK_THAT(message_of(check_json_lines("{\"name\":\"\xff\"}\n", 1)),
             Catch::StartsWith("line 1 is not JSON"));
  CHECK(message_of(check_json_lines(kRow1 + "\n\n" + kRow2 + "\n", 3)) ==
        "line 2 is empty: each line must be one JSON object");
}

TEST_CASE("a JSON line that is not an object is refused, saying what it is") {
  CHECK(message_of(check_json_lines(kRow1 + "\n[\"p1.a\"]\n", 2)) ==
        "line 2 is an array, not a JSON object");
  CHECK(message_of(check_json_lines("\"p1.a\"\n", 1)) == "line 1 is a string, not a JSON object");
  CHECK(message_of(check_json_lines("42\n", 1)) == "line 1 is a number, not a JSON object");
  CHECK(message_of(check_json_lines("null\n", 1)) == "line 1 is null, not a JSON object");
  CHECK(message_of(check_json_lines("true\n", 1)) == "line 1 is true or false, not a JSON object");
}

TEST_CASE("lines more or fewer than the header's rows are refused") {
  CHECK(message_of(check_json_lines(kRow1 + "\n" + kRow2 + "\n", 1)) ==
        "the payload has 2 lines but the header says rows 1: each row is one line");
  CHECK(message_of(check_json_lines(kRow1 + "\n", 3)) ==
        "the payload has 1 lines but the header says rows 3: each row is one line");
  CHECK(message_of(check_json_lines("", 1)) ==
        "the payload has 0 lines but the header says rows 1: each row is one line");
}

TEST_CASE("a line nested deeper than 32 levels is refused") {
  std::string deep = "{\"a\":";
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  deep += "}\n";
  CHECK_THAT(message_of(check_json_lines(deep, 1)), Catch::StartsWith("line 1 is not JSON"));
}

TEST_CASE("a payload is decrypted with the tenant key and decompressed within the limit") {
  auto tenant_key = crypto::x25519_generate_keypair();
  REQUIRE(tenant_key);
  const auto header = test::header_for(7);
  const auto sealed = test::sealed_frame(header, tenant_key->public_key, kRow1 + "\n");
  auto view = frame::split(sealed);
  REQUIRE(view);
  CHECK(open_payload(*view, 7, tenant_key->private_key, kMiB).value() == kRow1 + "\n");

  auto small = open_payload(*view, 7, tenant_key->private_key, 8);
  REQUIRE_FALSE(small);
  CHECK_THAT(small.error().message, Catch::Contains("--max-batch-bytes (8B)"));

  auto other_key = crypto::x25519_generate_keypair();
  REQUIRE(other_key);
  auto wrong = open_payload(*view, 7, other_key->private_key, kMiB);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::kCorrupt);
  CHECK(wrong.error().message ==
        "batch seq 7 does not decrypt: wrong tenant key, or the frame was altered");
}

}  // namespace
}  // namespace ferry::tenant
