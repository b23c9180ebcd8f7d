#include "common/config/date_format.hpp"

#include <catch2/catch.hpp>

using ferry::config::CalendarDate;
using ferry::config::DateFormat;
using ferry::config::parse_date_format;

namespace {

DateFormat format(std::string_view pattern) {
  auto parsed = parse_date_format(pattern);
  INFO(pattern << ": " << (parsed ? std::string("ok") : parsed.error().message));
  REQUIRE(parsed);
  return *parsed;
}

// "Y-M-D" of what `pattern` reads in `value`, or "(none)".
std::string read(std::string_view pattern, std::string_view value) {
  const auto date = format(pattern).read(value);
  if (!date) return "(none)";
  return std::to_string(date->year) + "-" + std::to_string(date->month) + "-" +
         std::to_string(date->day);
}

std::string error_of(std::string_view pattern) {
  auto parsed = parse_date_format(pattern);
  return parsed ? std::string("(accepted)") : parsed.error().message;
}

}  // namespace

TEST_CASE("date_format reads US dates with two-digit years and German dates") {
  CHECK(read("%m/%d/%y", "4/17/09") == "2009-4-17");
  CHECK(read("%m/%d/%y", "04/07/09") == "2009-4-7");
  CHECK(read("%m/%d/%y", "12/31/98") == "1998-12-31");
  CHECK(read("%d.%m.%Y", "17.04.2009") == "2009-4-17");
  CHECK(read("%d.%m.%Y", "1.4.2009") == "2009-4-1");
  CHECK(read("%Y%m%d", "20090417") == "2009-4-17");
}

TEST_CASE("date_format two-digit years pivot at 69 as POSIX strptime does") {
  CHECK(read("%y", "00") == "2000-0-0");
  CHECK(read("%y", "68") == "2068-0-0");
  CHECK(read("%y", "69") == "1969-0-0");
  CHECK(read("%y", "99") == "1999-0-0");
  CHECK(read("%y", "5") == "(none)");     // %y is exactly two digits
  CHECK(read("%y", "2009") == "(none)");  // and %Y exactly four
  CHECK(read("%Y", "09") == "(none)");
}

TEST_CASE("date_format refuses dates that do not exist") {
  CHECK(read("%m/%d/%Y", "2/29/2008") == "2008-2-29");  // a leap year
  CHECK(read("%m/%d/%Y", "2/29/2000") == "2000-2-29");  // divisible by 400
  CHECK(read("%m/%d/%Y", "2/29/1900") == "(none)");     // divisible by 100
  CHECK(read("%m/%d/%y", "2/29/09") == "(none)");
  CHECK(read("%m/%d/%y", "4/31/09") == "(none)");
  CHECK(read("%m/%d/%y", "13/1/09") == "(none)");
  CHECK(read("%m/%d/%y", "0/1/09") == "(none)");
  CHECK(read("%m/%d/%y", "1/0/09") == "(none)");
  CHECK(read("%m/%Y", "13/2009") == "(none)");
  CHECK(read("%m/%Y", "00/2009") == "(none)");
}

TEST_CASE("date_format refuses trailing garbage, missing parts and other separators") {
  CHECK(read("%m/%d/%y", "4/17/09 ") == "(none)");
  CHECK(read("%m/%d/%y", "4/17/09x") == "(none)");
  CHECK(read("%m/%d/%y", "4/17/095") == "(none)");
  CHECK(read("%m/%d/%y", "4/17") == "(none)");
  CHECK(read("%m/%d/%y", "4-17-09") == "(none)");
  CHECK(read("%m/%d/%y", "") == "(none)");
  CHECK(read("%d.%m.%Y", "17.04.09") == "(none)");
  CHECK(read("%m/%d/%y", "123/1/09") == "(none)");
}

TEST_CASE("date_format reads English month names and times it does not keep") {
  CHECK(read("%d %b %Y", "17 Apr 2009") == "2009-4-17");
  CHECK(read("%d %b %Y", "17 april 2009") == "2009-4-17");
  CHECK(read("%B %d, %Y", "SEPTEMBER 3, 2009") == "2009-9-3");
  CHECK(read("%d %b %Y", "17 Avr 2009") == "(none)");
  CHECK(read("%m/%d/%y %H:%M:%S", "4/17/09 13:05:00") == "2009-4-17");
  CHECK(read("%m/%d/%y %H:%M", "4/17/09 24:00") == "(none)");
  CHECK(read("%m/%d/%y %H:%M", "4/17/09 10:60") == "(none)");
  CHECK(read("%Y%%%m", "2009%04") == "2009-4-0");
}

TEST_CASE("date_format patterns are checked when the configuration loads") {
  CHECK(error_of("%m/%d/%y") == "(accepted)");
  CHECK(error_of("%m/%e/%y") ==
        "date_format '%m/%e/%y': %e is not supported; use %Y %y %m %d %b %B %H %M %S %% (and "
        "literal characters)");
  CHECK(error_of("%Y-%m-%") ==
        "date_format '%Y-%m-%' ends with a lone %: write %% for a literal %, or one of %Y %y "
        "%m %d %b %B %H %M %S %%");
  CHECK(error_of("%d.%m") == "date_format '%d.%m' has no year: add %Y (4 digits) or %y (2 digits)");
  CHECK(error_of("%d/%Y") == "date_format '%d/%Y' has a day (%d) but no month: add %m, %b or %B");
  CHECK(error_of("%Y %y") == "date_format '%Y %y' reads the year twice");
  CHECK(format("%Y").has_month() == false);
  CHECK(format("%b %Y").has_month());
}
