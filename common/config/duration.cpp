#include "common/config/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include "common/config/text.hpp"

namespace ferry::config {

namespace {

constexpr std::string_view kUnits = "ms, s, m, h or d, as in 500ms, 2s, 15m, 1h, 1d";

// Milliseconds per unit, or 0 for a unit we do not know.
std::int64_t unit_millis(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  if (unit == "d") return 24 * 60 * 60 * 1000;
  return 0;
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  const std::string_view input = trim(text);
  if (input.empty()) {
    return make_error(ErrorCode::kConfig, "a duration is empty: write one such as 2s or 15m");
  }
  if (input.front() == '-') {
    return make_error(ErrorCode::kConfig, "'{}' is negative: a duration must be 0 or more", input);
  }
  std::int64_t total = 0;
  std::string_view rest = input;
  while (!rest.empty()) {
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
    if (ec == std::errc::result_out_of_range) {
      return make_error(ErrorCode::kConfig, "'{}' is too large for a duration", input);
    }
    if (ec != std::errc()) {
      return make_error(ErrorCode::kConfig, "'{}' is not a duration: use a number and a unit ({})",
                        input, kUnits);
    }
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    if (!rest.empty() && (rest.front() == '.' || rest.front() == ',')) {
      return make_error(ErrorCode::kConfig,
                        "'{}' is not a duration: use whole numbers (1h30m rather than 1.5h)",
                        input);
    }
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);  // "5 m" reads as "5m"
    std::size_t unit_length = 0;
    while (unit_length < rest.size() && is_ascii_alpha(rest[unit_length])) ++unit_length;
    const std::string_view unit = rest.substr(0, unit_length);
    if (unit.empty()) {
      return make_error(ErrorCode::kConfig, "'{}' has no unit: add one of {}", input, kUnits);
    }
    const std::int64_t millis = unit_millis(unit);
    if (millis == 0) {
      return make_error(ErrorCode::kConfig, "unknown unit '{}' in duration '{}' (use {})", unit,
                        input, kUnits);
    }
    if (number > (std::numeric_limits<std::int64_t>::max() - total) / millis) {
      return make_error(ErrorCode::kConfig, "'{}' is too large for a duration", input);
    }
    total += number * millis;
    rest.remove_prefix(unit_length);
  }
  return Duration(total);
}

std::string format_duration(Duration duration) {
  std::int64_t millis = duration.count();
  if (millis == 0) return "0s";
  std::string out;
  if (millis < 0) {
    out += '-';
    millis = -millis;
  }
  static constexpr std::pair<std::int64_t, std::string_view> kParts[] = {
      {24 * 60 * 60 * 1000, "d"}, {60 * 60 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [size, unit] : kParts) {
    if (millis >= size) {
      out += std::to_string(millis / size);
      out += unit;
      millis %= size;
    }
  }
  return out;
}

}  // namespace ferry::config
