#include "common/http/retry_after.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <random>

namespace ferry::http {
namespace {

bool two_digits(std::string_view text, std::size_t at, int& out) {
  if (at + 2 > text.size()) return false;
  const char a = text[at];
  const char b = text[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  out = (a - '0') * 10 + (b - '0');
  return true;
}

// "Wed, 21 Oct 2015 07:28:00 GMT"
std::optional<std::chrono::system_clock::time_point> parse_imf_fixdate(std::string_view text) {
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") return {};
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!two_digits(text, 5, day) || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
      !two_digits(text, 17, hour) || text[19] != ':' || !two_digits(text, 20, minute) ||
      text[22] != ':' || !two_digits(text, 23, second)) {
    return {};
  }
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  int year = 0;
  const auto parsed = std::from_chars(text.data() + 12, text.data() + 16, year);
  if (month == 0 || parsed.ec != std::errc() || parsed.ptr != text.data() + 16) return {};
  if (hour > 23 || minute > 59 || second > 60) return {};
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return {};
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    std::uint64_t seconds = 0;
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (parsed.ec != std::errc() || parsed.ptr != value.data() + value.size()) {
      return std::nullopt;
    }
    // A year at most: beyond that the value means "not soon", and the arithmetic stays small.
    constexpr std::uint64_t kYear = 365ULL * 24 * 3600;
    return std::chrono::seconds(seconds < kYear ? seconds : kYear);
  }
  const auto when = parse_imf_fixdate(value);
  if (!when) return std::nullopt;
  if (*when <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
}

std::chrono::milliseconds backoff_delay(int retry, std::chrono::milliseconds first,
                                        std::chrono::milliseconds max) {
  std::chrono::milliseconds delay = first;
  for (int i = 1; i < retry && delay < max; ++i) delay *= 2;
  if (delay > max) delay = max;
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> jitter(0, delay.count() / 4);
  return delay - std::chrono::milliseconds(jitter(random));
}

}  // namespace ferry::http
