#include "common/crypto/base64.hpp"

#include <catch2/catch.hpp>

#include "tests/common/crypto/crypto_test_util.hpp"

namespace ferry::crypto {
namespace {

// RFC 4648 section 10.
TEST_CASE("base64 matches the RFC 4648 examples both ways") {
  const std::pair<std::string_view, std::string_view> cases[] = {{"", ""},
                                                                 {"f", "Zg=="},
                                                                 {"fo", "Zm8="},
                                                                 {"foo", "Zm9v"},
                                                                 {"foob", "Zm9vYg=="},
                                                                 {"fooba", "Zm9vYmE="},
                                                                 {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    CHECK(base64_encode(as_bytes(plain)) == encoded);
    auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(as_chars(*decoded) == plain);
  }
}

TEST_CASE("base64url encodes without padding and with the URL alphabet") {
  CHECK(base64url_encode(as_bytes("f")) == "Zg");
  CHECK(base64url_encode(as_bytes("fo")) == "Zm8");
  CHECK(base64url_encode(as_bytes("foo")) == "Zm9v");
  const Bytes high = {0xfb, 0xff, 0xbf};
  CHECK(base64_encode(high) == "+/+/");
  CHECK(base64url_encode(high) == "-_-_");
  auto decoded = base64url_decode("-_-_");
  REQUIRE(decoded);
  CHECK(*decoded == high);
}

TEST_CASE("base64url_encode_append appends to what the string already holds") {
  std::string out = "p1.";
  base64url_encode_append(as_bytes("foobar"), out);
  CHECK(out == "p1.Zm9vYmFy");
  base64url_encode_append({}, out);
  CHECK(out == "p1.Zm9vYmFy");
}

TEST_CASE("base64 and base64url round-trip every length up to 100") {
  Bytes data;
  for (int i = 0; i < 100; ++i) {
    auto std_decoded = base64_decode(base64_encode(data));
    auto url_decoded = base64url_decode(base64url_encode(data));
    REQUIRE(std_decoded);
    REQUIRE(url_decoded);
    CHECK(*std_decoded == data);
    CHECK(*url_decoded == data);
    data.push_back(static_cast<std::uint8_t>(i * 37 + 11));
  }
}

TEST_CASE("base64 decoder rejects malformed text") {
  CHECK_FALSE(base64_decode("Zg"));    // padding missing
  CHECK_FALSE(base64_decode("Zg="));   // length not a multiple of 4
  CHECK_FALSE(base64_decode("Z==="));  // too much padding
  CHECK_FALSE(base64_decode("===="));
  CHECK_FALSE(base64_decode("Zg==Zg=="));  // padding in the middle
  CHECK_FALSE(base64_decode("Zh=="));      // non-zero trailing bits
  CHECK_FALSE(base64_decode("Zm9-"));      // URL alphabet
  CHECK_FALSE(base64_decode("Zm9 "));      // white space
  auto bad = base64_decode("Zm*v");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad.error().message == "invalid base64 character (code 0x2a) at offset 2");
}

TEST_CASE("base64url decoder rejects padding, the standard alphabet and non-canonical text") {
  auto padded = base64url_decode("Zg==");
  REQUIRE_FALSE(padded);
  CHECK(padded.error().message.find("padding") != std::string::npos);
  CHECK_FALSE(base64url_decode("Zm9+"));
  CHECK_FALSE(base64url_decode("Zm9/"));
  CHECK_FALSE(base64url_decode("Z"));   // one character cannot encode a byte
  CHECK_FALSE(base64url_decode("Zh"));  // non-zero trailing bits
  CHECK_FALSE(base64url_decode("Zm9vY"));
  auto empty = base64url_decode("");
  REQUIRE(empty);
  CHECK(empty->empty());
}

}  // namespace
}  // namespace ferry::crypto
