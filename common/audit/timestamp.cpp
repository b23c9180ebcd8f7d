// Timestamps as entries carry them, and the dates and times `ferry audit show --since` accepts.
#include <chrono>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "common/audit/audit_log.hpp"

namespace ferry::audit {
namespace {

using namespace std::chrono;

// Reads fixed-width numbers and separators from the front of a text.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  bool take(char c) {
    if (done() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool take_any(std::string_view chars) {
    if (done() || chars.find(text_[pos_]) == std::string_view::npos) return false;
    ++pos_;
    return true;
  }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool number(int width, int& out) {
    out = 0;
    for (int i = 0; i < width; ++i) {
      if (done() || text_[pos_] < '0' || text_[pos_] > '9') return false;
      out = out * 10 + (text_[pos_++] - '0');
    }
    return true;
  }
  // The digits of a fraction of a second (after the '.'), as nanoseconds.
  bool fraction(nanoseconds& out) {
    std::int64_t value = 0;
    int digits = 0;
    while (!done() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (digits < 9) {
        value = value * 10 + (text_[pos_] - '0');
        ++digits;
      }
      ++pos_;
    }
    if (digits == 0) return false;
    for (int i = digits; i < 9; ++i) value *= 10;
    out = nanoseconds(value);
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<sys_days> read_date(Cursor& cursor) {
  int year = 0, month = 0, day = 0;
  if (!cursor.number(4, year) || !cursor.take('-') || !cursor.number(2, month) ||
      !cursor.take('-') || !cursor.number(2, day)) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(year),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return sys_days(date);
}

// "08:15:02", "08:15:02.123": the time of day.
std::optional<nanoseconds> read_time_of_day(Cursor& cursor) {
  int hour = 0, minute = 0, second = 0;
  if (!cursor.number(2, hour) || !cursor.take(':') || !cursor.number(2, minute) ||
      !cursor.take(':') || !cursor.number(2, second) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  nanoseconds fraction{0};
  if (cursor.take('.') && !cursor.fraction(fraction)) return std::nullopt;
  return hours(hour) + minutes(minute) + seconds(second) + fraction;
}

// "Z", "+01:00", "-05:30": what to subtract from the local time to get UTC.
std::optional<minutes> read_offset(Cursor& cursor) {
  if (cursor.take_any("Zz")) return minutes(0);
  const char sign = cursor.peek();
  if (!cursor.take_any("+-")) return std::nullopt;
  int hour = 0, minute = 0;
  if (!cursor.number(2, hour) || !cursor.take(':') || !cursor.number(2, minute) || hour > 23 ||
      minute > 59) {
    return std::nullopt;
  }
  const minutes offset = hours(hour) + minutes(minute);
  return sign == '-' ? -offset : offset;
}

std::optional<system_clock::time_point> read_timestamp(std::string_view text) {
  Cursor cursor(text);
  const auto date = read_date(cursor);
  if (!date) return std::nullopt;
  if (cursor.done()) return system_clock::time_point(*date);
  if (!cursor.take_any("Tt ")) return std::nullopt;
  const auto time_of_day = read_time_of_day(cursor);
  if (!time_of_day) return std::nullopt;
  const auto offset = read_offset(cursor);
  if (!offset || !cursor.done()) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_time<nanoseconds>(*date) + *time_of_day -
                                                 *offset);
}

}  // namespace

std::string format_timestamp(system_clock::time_point time) {
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date(day);
  const hh_mm_ss clock(ms - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

Result<system_clock::time_point> parse_timestamp(std::string_view text) {
  if (auto time = read_timestamp(text)) return *time;
  return make_error(ErrorCode::kInvalidArgument,
                    "'{}' is not a date (2026-11-23) or an RFC 3339 time (2026-11-23T08:15:00Z, "
                    "2026-11-23T09:15:00+01:00)",
                    text);
}

}  // namespace ferry::audit
