#include "connectors/sqlite_query/iso_timestamp.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace ferry::connectors::sqlite_query {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

struct Timestamp {
  int year = 0;
  unsigned month = 1;
  unsigned day = 1;
  bool has_time = false;
  char separator = ' ';
  int hour = 0;
  int minute = 0;
  bool has_seconds = false;
  int second = 0;
  int fraction_digits = 0;
  std::int64_t fraction = 0;  // in units of 10^-fraction_digits seconds
  std::string_view zone;      // kept as written
};

// Reads exactly `count` digits at `pos`, advancing it.
bool read_digits(std::string_view text, std::size_t& pos, int count, std::int64_t& out) {
  if (pos + static_cast<std::size_t>(count) > text.size()) return false;
  std::int64_t value = 0;
  for (int i = 0; i < count; ++i) {
    const char c = text[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(count);
  out = value;
  return true;
}

bool is_zone(std::string_view zone) {
  if (zone.empty() || zone == "Z") return true;
  if (zone[0] != '+' && zone[0] != '-') return false;
  std::size_t pos = 1;
  std::int64_t hours = 0;
  std::int64_t minutes = 0;
  if (!read_digits(zone, pos, 2, hours) || hours > 23) return false;
  if (pos == zone.size()) return true;
  if (zone[pos] == ':') ++pos;
  return read_digits(zone, pos, 2, minutes) && minutes < 60 && pos == zone.size();
}

std::optional<Timestamp> parse(std::string_view text) {
  Timestamp ts;
  std::size_t pos = 0;
  std::int64_t n = 0;
  if (!read_digits(text, pos, 4, n)) return std::nullopt;
  ts.year = static_cast<int>(n);
  if (pos >= text.size() || text[pos++] != '-' || !read_digits(text, pos, 2, n)) {
    return std::nullopt;
  }
  ts.month = static_cast<unsigned>(n);
  if (pos >= text.size() || text[pos++] != '-' || !read_digits(text, pos, 2, n)) {
    return std::nullopt;
  }
  ts.day = static_cast<unsigned>(n);
  const year_month_day date{std::chrono::year(ts.year), std::chrono::month(ts.month),
                            std::chrono::day(ts.day)};
  if (!date.ok()) return std::nullopt;
  if (pos < text.size() && (text[pos] == ' ' || text[pos] == 'T')) {
    ts.has_time = true;
    ts.separator = text[pos++];
    if (!read_digits(text, pos, 2, n) || n > 23) return std::nullopt;
    ts.hour = static_cast<int>(n);
    if (pos >= text.size() || text[pos++] != ':') return std::nullopt;
    if (!read_digits(text, pos, 2, n) || n > 59) return std::nullopt;
    ts.minute = static_cast<int>(n);
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!read_digits(text, pos, 2, n) || n > 59) return std::nullopt;
      ts.has_seconds = true;
      ts.second = static_cast<int>(n);
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (++ts.fraction_digits > 9) return std::nullopt;
          ts.fraction = ts.fraction * 10 + (text[pos++] - '0');
        }
        if (ts.fraction_digits == 0) return std::nullopt;
      }
    }
    ts.zone = text.substr(pos);
    if (!is_zone(ts.zone)) return std::nullopt;
  } else if (pos != text.size()) {
    return std::nullopt;
  }
  return ts;
}

std::int64_t power_of_ten(int exponent) {
  std::int64_t result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The unit a shape counts in (a day, a minute, or 10^-digits of a second): how many make a day, the
// time of day in that unit, and the lookback in that unit rounded up.
struct Scale {
  std::int64_t units_per_day = 1;
  std::int64_t time_of_day = 0;
  std::int64_t amount = 0;  // the lookback in these units, rounded up
};

Scale scale_of(const Timestamp& ts, std::int64_t amount_ms) {
  Scale s;
  auto round_up = [&](std::int64_t ms_per_unit) {
    return amount_ms / ms_per_unit + (amount_ms % ms_per_unit != 0 ? 1 : 0);
  };
  if (!ts.has_time) {
    s.amount = round_up(86'400'000);
  } else if (!ts.has_seconds) {
    s.units_per_day = 1440;
    s.time_of_day = ts.hour * 60 + ts.minute;
    s.amount = round_up(60'000);
  } else {
    const std::int64_t per_second = power_of_ten(ts.fraction_digits);
    s.units_per_day = 86'400 * per_second;
    s.time_of_day = (ts.hour * 3600 + ts.minute * 60 + ts.second) * per_second + ts.fraction;
    if (ts.fraction_digits >= 3) {
      s.amount = amount_ms * power_of_ten(ts.fraction_digits - 3);
    } else {
      s.amount = round_up(power_of_ten(3 - ts.fraction_digits));
    }
  }
  return s;
}

std::string format(const Timestamp& ts) {
  std::string out = fmt::format("{:04}-{:02}-{:02}", ts.year, ts.month, ts.day);
  if (!ts.has_time) return out;
  out += fmt::format("{}{:02}:{:02}", ts.separator, ts.hour, ts.minute);
  if (ts.has_seconds) {
    out += fmt::format(":{:02}", ts.second);
    if (ts.fraction_digits > 0) out += fmt::format(".{:0{}}", ts.fraction, ts.fraction_digits);
  }
  out += ts.zone;
  return out;
}

}  // namespace

std::optional<std::string> subtract_from_timestamp(std::string_view text,
                                                   std::chrono::milliseconds amount) {
  auto parsed = parse(text);
  if (!parsed) return std::nullopt;
  Timestamp ts = *parsed;
  // Ten thousand years reach before year 0000 from any four-digit year; capping here keeps the
  // arithmetic below far from overflow whatever the configured lookback.
  constexpr std::int64_t kCapMs = 10'000LL * 366 * 86'400'000;
  const std::int64_t amount_ms = amount.count() < 0 ? 0 : std::min(amount.count(), kCapMs);

  const Scale scale = scale_of(ts, amount_ms);
  const std::int64_t shifted = scale.time_of_day - scale.amount;
  std::int64_t day_number =
      sys_days(year_month_day{std::chrono::year(ts.year), std::chrono::month(ts.month),
                              std::chrono::day(ts.day)})
          .time_since_epoch()
          .count() +
      floor_div(shifted, scale.units_per_day);
  std::int64_t time_of_day =
      shifted - floor_div(shifted, scale.units_per_day) * scale.units_per_day;

  const auto earliest =
      sys_days(year_month_day{std::chrono::year(0), std::chrono::January, std::chrono::day(1)})
          .time_since_epoch()
          .count();
  if (day_number < earliest) {
    day_number = earliest;
    time_of_day = 0;
  }
  const year_month_day date{sys_days(days(day_number))};
  ts.year = static_cast<int>(date.year());
  ts.month = static_cast<unsigned>(date.month());
  ts.day = static_cast<unsigned>(date.day());
  if (ts.has_time && !ts.has_seconds) {
    ts.hour = static_cast<int>(time_of_day / 60);
    ts.minute = static_cast<int>(time_of_day % 60);
  } else if (ts.has_seconds) {
    const std::int64_t per_second = power_of_ten(ts.fraction_digits);
    const std::int64_t seconds = time_of_day / per_second;
    ts.fraction = time_of_day % per_second;
    ts.hour = static_cast<int>(seconds / 3600);
    ts.minute = static_cast<int>(seconds / 60 % 60);
    ts.second = static_cast<int>(seconds % 60);
  }
  return format(ts);
}

}  // namespace ferry::connectors::sqlite_query
