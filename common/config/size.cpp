#include "common/config/size.hpp"

#include <charconv>
#include <cstdio>
#include <iterator>
#include <limits>
#include <utility>

#include "common/config/text.hpp"

namespace ferry::config {

namespace {

constexpr std::string_view kUnits =
    "B, KiB, MiB, GiB, TiB (1024-based) or KB, MB, GB, TB (1000-based)";

constexpr std::pair<std::string_view, std::uint64_t> kUnitTable[] = {
    {"B", 1},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"TiB", 1ull << 40},
    {"KB", 1000ull},
    {"kB", 1000ull},
    {"MB", 1000ull * 1000},
    {"GB", 1000ull * 1000 * 1000},
    {"TB", 1000ull * 1000 * 1000 * 1000},
};

}  // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  const std::string_view input = trim(text);
  if (input.empty()) {
    return make_error(ErrorCode::kConfig, "a size is empty: write one such as 512KiB or 8MiB");
  }
  if (input.front() == '-') {
    return make_error(ErrorCode::kConfig, "'{}' is negative: a size must be 0 or more", input);
  }
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(input.data(), input.data() + input.size(), number);
  if (ec == std::errc::result_out_of_range) {
    return make_error(ErrorCode::kConfig, "'{}' is too large for a size", input);
  }
  if (ec != std::errc()) {
    return make_error(ErrorCode::kConfig, "'{}' is not a size: use a number and a unit ({})", input,
                      kUnits);
  }
  std::string_view unit = input.substr(static_cast<std::size_t>(end - input.data()));
  if (!unit.empty() && (unit.front() == '.' || unit.front() == ',')) {
    return make_error(ErrorCode::kConfig,
                      "'{}' is not a size: use whole numbers (1536MiB rather than 1.5GiB)", input);
  }
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (unit.empty()) return number;
  for (const auto& [name, factor] : kUnitTable) {
    if (unit != name) continue;
    if (number > std::numeric_limits<std::uint64_t>::max() / factor) {
      return make_error(ErrorCode::kConfig, "'{}' is too large for a size", input);
    }
    return number * factor;
  }
  return make_error(ErrorCode::kConfig, "unknown unit '{}' in size '{}' (use {})", unit, input,
                    kUnits);
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::pair<std::uint64_t, std::string_view> kBinary[] = {
      {1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  if (bytes != 0) {
    for (const auto& [factor, unit] : kBinary) {
      if (bytes % factor == 0) return std::to_string(bytes / factor) + std::string(unit);
    }
  }
  return std::to_string(bytes) + "B";
}

std::string display_size(std::uint64_t bytes) {
  static constexpr std::string_view kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ", value);
  return std::string(text) + std::string(kUnits[unit]);
}

}  // namespace ferry::config
