#include "connectors/sqlite_query/row_values.hpp"

#include <catch2/catch.hpp>

using ferry::connectors::sqlite_query::format_real;
using ferry::connectors::sqlite_query::is_valid_utf8;

namespace {

std::string real_text(double value) {
  std::string out;
  format_real(value, out);
  return out;
}

}  // namespace

TEST_CASE("reals are written in the shortest JSON number text that reads back the same") {
  CHECK(real_text(0.1) == "0.1");
  CHECK(real_text(-3.5) == "-3.5");
  CHECK(real_text(3.0) == "3");
  CHECK(real_text(1e300) == "1e+300");
  CHECK(real_text(1e-7) == "1e-07");
  CHECK(real_text(123456.789) == "123456.789");
}

TEST_CASE("UTF-8 validation accepts well-formed text and refuses the rest") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc3"));              // cut short
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("a\x80"));
}

TEST_CASE("decimals become JSON numbers with their digits kept") {
  using ferry::connectors::sqlite_query::decimal_as_json_number;
  auto json = [](std::string_view text) {
    std::string out;
    return decimal_as_json_number(text, out) ? out : std::string("refused");
  };
  CHECK(json("12345678901234567890.0123456789") == "12345678901234567890.0123456789");
  CHECK(json("-0.50") == "-0.50");
  CHECK(json(".5") == "0.5");
  CHECK(json("-.5") == "-0.5");
  CHECK(json("+7") == "7");
  CHECK(json("007.25") == "7.25");
  CHECK(json("0") == "0");
  CHECK(json("1.5E+10") == "1.5e+10");
  CHECK(json("5.") == "5");
  CHECK(json("NaN") == "refused");
  CHECK(json("Infinity") == "refused");
  CHECK(json("") == "refused");
  CHECK(json("-") == "refused");
  CHECK(json("1e") == "refused");
  CHECK(json("1 ") == "refused");
}
