#include "agent/policy/generalize.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>

#include <fmt/format.h>

namespace ferry::policy {
namespace {

bool digits(std::string_view text, std::size_t from, std::size_t count) {
  if (text.size() < from + count) return false;
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

int two_digits(std::string_view text, std::size_t from) {
  return (text[from] - '0') * 10 + (text[from + 1] - '0');
}

}  // namespace

std::optional<std::string_view> generalize_date(std::string_view value,
                                                config::Generalize::Kind to) {
  // YYYY
  if (!digits(value, 0, 4)) return std::nullopt;
  bool has_month = false;
  if (value.size() > 4) {
    // YYYY-MM
    if (value[4] != '-' || !digits(value, 5, 2)) return std::nullopt;
    const int month = two_digits(value, 5);
    if (month < 1 || month > 12) return std::nullopt;
    has_month = true;
    if (value.size() > 7) {
      // YYYY-MM-DD, then optionally a time part we do not need to read.
      if (value[7] != '-' || !digits(value, 8, 2)) return std::nullopt;
      const int day = two_digits(value, 8);
      if (day < 1 || day > 31) return std::nullopt;
      if (value.size() > 10 && value[10] != 'T' && value[10] != 't' && value[10] != ' ') {
        return std::nullopt;
      }
    }
  }
  if (to == config::Generalize::Kind::kYear) return value.substr(0, 4);
  if (!has_month) return std::nullopt;
  return value.substr(0, 7);
}

bool generalize_date(std::string_view value, const config::Generalize& how, std::string& out) {
  if (auto iso = generalize_date(value, how.kind)) {
    out.push_back('"');
    out.append(*iso);
    out.push_back('"');
    return true;
  }
  if (!how.date_format) return false;
  const auto date = how.date_format->read(value);
  if (!date) return false;
  if (how.kind == config::Generalize::Kind::kYear) {
    fmt::format_to(std::back_inserter(out), "\"{:04}\"", date->year);
  } else {
    // A date_format without a month is refused for year_month at load time.
    if (date->month == 0) return false;
    fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}\"", date->year, date->month);
  }
  return true;
}

std::string_view generalize_prefix(std::string_view value, std::int64_t characters) {
  std::size_t i = 0;
  for (std::int64_t n = 0; n < characters && i < value.size(); ++n) {
    ++i;  // past the lead byte, then past continuation bytes
    while (i < value.size() && (static_cast<unsigned char>(value[i]) & 0xC0) == 0x80) ++i;
  }
  return value.substr(0, i);
}

bool generalize_bucket(std::string_view value, std::int64_t width, std::string& out) {
  if (value.empty() || width <= 0) return false;
  // Whole numbers take the exact integer path; anything else goes through double.
  std::int64_t whole = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), whole);
  if (ec == std::errc() && end == value.data() + value.size()) {
    std::int64_t floored = whole / width * width;
    if (whole % width != 0 && whole < 0) floored -= width;
    fmt::format_to(std::back_inserter(out), "{}", floored);
    return true;
  }
  double number = 0;
  auto [dend, dec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (dec != std::errc() || dend != value.data() + value.size() || !std::isfinite(number)) {
    return false;
  }
  const double floored =
      std::floor(number / static_cast<double>(width)) * static_cast<double>(width);
  if (std::fabs(floored) > 9.0e15) return false;  // beyond exact integers in a double
  fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(floored));
  return true;
}

}  // namespace ferry::policy
