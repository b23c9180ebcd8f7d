#include "common/config/date_format.hpp"

#include <algorithm>
#include <array>

namespace ferry::config {
namespace {

using Part = DateFormat::Part;

constexpr std::array<std::string_view, 12> kMonthNames = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Reads between `min` and `max` digits at `at` (as many as there are, up to max).
std::optional<int> read_number(std::string_view value, std::size_t& at, std::size_t min,
                               std::size_t max) {
  std::size_t count = 0;
  int number = 0;
  while (count < max && at + count < value.size() && is_digit(value[at + count])) {
    number = number * 10 + (value[at + count] - '0');
    ++count;
  }
  if (count < min) return std::nullopt;
  at += count;
  return number;
}

// A month's English name in full, or its first three letters, any case: 1-12.
std::optional<int> read_month_name(std::string_view value, std::size_t& at) {
  for (std::size_t month = 0; month < kMonthNames.size(); ++month) {
    const std::string_view name = kMonthNames[month];
    for (const std::size_t length : {name.size(), std::size_t{3}}) {
      if (at + length > value.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < length && same; ++i) same = lower(value[at + i]) == name[i];
      if (same) {
        at += length;
        return static_cast<int>(month) + 1;
      }
    }
  }
  return std::nullopt;
}

std::optional<Part> part_of(char conversion) {
  switch (conversion) {
    case 'Y':
      return Part::kYear4;
    case 'y':
      return Part::kYear2;
    case 'm':
      return Part::kMonth;
    case 'b':
    case 'B':
      return Part::kMonthName;
    case 'd':
      return Part::kDay;
    case 'H':
      return Part::kHour;
    case 'M':
      return Part::kMinute;
    case 'S':
      return Part::kSecond;
    default:
      return std::nullopt;
  }
}

// What a part holds, for "reads the X twice" messages.
std::string_view meaning_of(Part part) {
  switch (part) {
    case Part::kYear4:
    case Part::kYear2:
      return "year";
    case Part::kMonth:
    case Part::kMonthName:
      return "month";
    case Part::kDay:
      return "day";
    case Part::kHour:
      return "hour";
    case Part::kMinute:
      return "minute";
    case Part::kSecond:
      return "second";
    case Part::kLiteral:
      break;
  }
  return "";
}

}  // namespace

bool valid_date(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1) return false;
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
  return day <= days;
}

Result<DateFormat> parse_date_format(std::string_view pattern) {
  DateFormat format;
  format.text = std::string(pattern);
  std::vector<std::string_view> seen;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      format.pieces.push_back({Part::kLiteral, pattern[i]});
      continue;
    }
    if (i + 1 == pattern.size()) {
      return make_error(ErrorCode::kConfig,
                        "date_format '{}' ends with a lone %: write %% for a literal %, or one "
                        "of {}",
                        pattern, kDateConversions);
    }
    const char conversion = pattern[++i];
    if (conversion == '%') {
      format.pieces.push_back({Part::kLiteral, '%'});
      continue;
    }
    const auto part = part_of(conversion);
    if (!part) {
      return make_error(ErrorCode::kConfig,
                        "date_format '{}': %{} is not supported; use {} (and literal characters)",
                        pattern, conversion, kDateConversions);
    }
    const std::string_view meaning = meaning_of(*part);
    for (const std::string_view before : seen) {
      if (before == meaning) {
        return make_error(ErrorCode::kConfig, "date_format '{}' reads the {} twice", pattern,
                          meaning);
      }
    }
    seen.push_back(meaning);
    format.pieces.push_back({*part, 0});
  }
  bool has_year = false;
  for (const auto& piece : format.pieces) {
    has_year = has_year || piece.part == Part::kYear4 || piece.part == Part::kYear2;
  }
  if (!has_year) {
    return make_error(ErrorCode::kConfig,
                      "date_format '{}' has no year: add %Y (4 digits) or %y (2 digits)", pattern);
  }
  const bool has_day = std::any_of(format.pieces.begin(), format.pieces.end(),
                                   [](const DateFormat::Piece& p) { return p.part == Part::kDay; });
  if (has_day && !format.has_month()) {
    return make_error(ErrorCode::kConfig,
                      "date_format '{}' has a day (%d) but no month: add %m, %b or %B", pattern);
  }
  return format;
}

bool DateFormat::has_month() const {
  for (const auto& piece : pieces) {
    if (piece.part == Part::kMonth || piece.part == Part::kMonthName) return true;
  }
  return false;
}

std::optional<CalendarDate> DateFormat::read(std::string_view value) const {
  CalendarDate date;
  std::size_t at = 0;
  for (const Piece& piece : pieces) {
    std::optional<int> number;
    switch (piece.part) {
      case Part::kLiteral:
        if (at >= value.size() || value[at] != piece.literal) return std::nullopt;
        ++at;
        continue;
      case Part::kYear4:
        number = read_number(value, at, 4, 4);
        if (number) date.year = *number;
        break;
      case Part::kYear2:
        number = read_number(value, at, 2, 2);
        if (number) date.year = *number + (*number < kTwoDigitYearPivot ? 2000 : 1900);
        break;
      case Part::kMonth:
        number = read_number(value, at, 1, 2);
        if (number) date.month = *number;
        break;
      case Part::kMonthName:
        number = read_month_name(value, at);
        if (number) date.month = *number;
        break;
      case Part::kDay:
        number = read_number(value, at, 1, 2);
        if (number && *number == 0) return std::nullopt;
        if (number) date.day = *number;
        break;
      case Part::kHour:
        number = read_number(value, at, 1, 2);
        if (number && *number > 23) return std::nullopt;
        break;
      case Part::kMinute:
        number = read_number(value, at, 1, 2);
        if (number && *number > 59) return std::nullopt;
        break;
      case Part::kSecond:
        number = read_number(value, at, 1, 2);
        if (number && *number > 60) return std::nullopt;  // a leap second
        break;
    }
    if (!number) return std::nullopt;
  }
  if (at != value.size()) return std::nullopt;  // something follows the date
  if (date.month != 0 && date.day != 0) {
    if (!valid_date(date.year, date.month, date.day)) return std::nullopt;
  } else if (has_month() && (date.month < 1 || date.month > 12)) {
    return std::nullopt;  // month 0
  }
  return date;
}

}  // namespace ferry::config
