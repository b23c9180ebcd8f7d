#include "common/keys/key_age.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

namespace ferry::keys {

namespace {

// `count` digits at the front of `text`, consumed; nullopt when they are not there.
std::optional<int> take_digits(std::string_view& text, std::size_t count) {
  if (text.size() < count) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  text.remove_prefix(count);
  return value;
}

bool take(std::string_view& text, char expected) {
  if (text.empty() || text.front() != expected) return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // "YYYY-MM-DDTHH:MM:SS", with the calendar's own checks (no 30 February).
  std::string_view rest = text;
  const auto year = take_digits(rest, 4);
  if (!year || !take(rest, '-')) return std::nullopt;
  const auto month = take_digits(rest, 2);
  if (!month || !take(rest, '-')) return std::nullopt;
  const auto day = take_digits(rest, 2);
  if (!day || !take(rest, 'T')) return std::nullopt;
  const auto hour = take_digits(rest, 2);
  if (!hour || !take(rest, ':')) return std::nullopt;
  const auto minute = take_digits(rest, 2);
  if (!minute || !take(rest, ':')) return std::nullopt;
  const auto second = take_digits(rest, 2);
  if (!second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  std::chrono::system_clock::time_point time =
      std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
      std::chrono::seconds(*second);
  // Fractional seconds, to the microsecond.
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    std::int64_t micros = 0;
    int digits = 0;
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front())) != 0) {
      if (digits < 6) {
        micros = micros * 10 + (rest.front() - '0');
        ++digits;
      }
      rest.remove_prefix(1);
    }
    for (; digits < 6; ++digits) micros *= 10;
    time += std::chrono::microseconds(micros);
  }
  // An offset from UTC ("+01:00", "-0500"): the instant it names. "Z", or nothing, is UTC.
  if (rest.size() >= 5 && (rest.front() == '+' || rest.front() == '-')) {
    const bool ahead = rest.front() == '+';
    const std::string_view digits_text = rest.substr(1);
    const auto two = [&](std::size_t at) -> int {
      if (at + 1 >= digits_text.size() ||
          !std::isdigit(static_cast<unsigned char>(digits_text[at])) ||
          !std::isdigit(static_cast<unsigned char>(digits_text[at + 1]))) {
        return -1;
      }
      return (digits_text[at] - '0') * 10 + (digits_text[at + 1] - '0');
    };
    const int hours = two(0);
    const int minutes = digits_text.size() >= 5 && digits_text[2] == ':' ? two(3) : two(2);
    if (hours >= 0 && hours < 24 && minutes >= 0 && minutes < 60) {
      const auto offset = std::chrono::hours(hours) + std::chrono::minutes(minutes);
      time += ahead ? -offset : offset;
    }
  }
  return time;
}

std::optional<KeyAge> key_age(std::string_view created, std::chrono::system_clock::time_point now,
                              std::optional<std::chrono::milliseconds> rotation_period) {
  const auto then = parse_rfc3339(created);
  if (!then) return std::nullopt;
  KeyAge result;
  result.age = std::max(std::chrono::duration_cast<std::chrono::seconds>(now - *then),
                        std::chrono::seconds(0));
  if (rotation_period) {
    const auto period = std::chrono::duration_cast<std::chrono::seconds>(*rotation_period);
    result.rotation_due = result.age > period;
    result.due_in = result.rotation_due ? std::chrono::seconds(0) : period - result.age;
  }
  return result;
}

}  // namespace ferry::keys
