// `date_format:` of a `generalize: {to: year|year_month}` field: a strftime-style pattern for the
// dates of an export that are not ISO 8601 ("%m/%d/%y" for 4/17/09, "%d.%m.%Y" for 17.04.2009).
// Parsed once at load time, like a cron expression, so that reading a value does no setup.
//
// Our own reader, not strptime: strptime follows the process locale and skips white space and
// leading zeros as it likes, where an export's dates need one fixed reading.
//
// Conversions (docs/configuration.md lists them for the admin):
//   %Y  year, 4 digits            %y  year, 2 digits: 69-99 -> 1969-1999, 00-68 -> 2000-2068
//   %m  month, 1 or 2 digits      %d  day of the month, 1 or 2 digits
//   %b  %B  English month name, full or its first three letters, any case (both read either)
//   %H  %M  %S  hour, minute, second, 1 or 2 digits: read and checked, not kept
//   %%  a literal %
// Any other character matches itself exactly. A pattern must read a year, and once each at most;
// the value must match the whole pattern (nothing may follow), and the date must exist (month
// 1-12, the day within its month, 29 February in leap years only).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::config {

// %y: two-digit years below this are 20yy, the rest 19yy (POSIX strptime's rule).
inline constexpr int kTwoDigitYearPivot = 69;

// The conversions a pattern may use, for messages: "%Y %y %m %d %b %B %H %M %S %%".
inline constexpr std::string_view kDateConversions = "%Y %y %m %d %b %B %H %M %S %%";

struct CalendarDate {
  int year = 0;
  int month = 0;  // 1-12; 0 when the pattern reads no month
  int day = 0;    // 1-31; 0 when the pattern reads no day
};

struct DateFormat {
  enum class Part { kLiteral, kYear4, kYear2, kMonth, kMonthName, kDay, kHour, kMinute, kSecond };
  struct Piece {
    Part part = Part::kLiteral;
    char literal = 0;  // for kLiteral
  };

  std::string text;  // the pattern as written
  std::vector<Piece> pieces;

  bool has_month() const;
  // The date `value` holds, or nullopt when it does not match the whole pattern or is no real
  // date. Never throws, never allocates.
  std::optional<CalendarDate> read(std::string_view value) const;
};

// Parses a pattern; the error names the offending conversion and lists the supported ones.
Result<DateFormat> parse_date_format(std::string_view pattern);

// Whether `day` exists in `month` of `year` (Gregorian calendar).
bool valid_date(int year, int month, int day);

}  // namespace ferry::config
