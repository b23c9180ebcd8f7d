#include "connectors/sqlite_query/lookback.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "connectors/sqlite_query/iso_timestamp.hpp"

namespace ferry::connectors::sqlite_query {
namespace {

bool is_plain_number(std::string_view text) {
  if (text.empty()) return false;
  bool digit = false;
  int dots = 0;
  for (const char c : text) {
    if (c == '.') {
      ++dots;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      return false;
    }
  }
  return digit && dots <= 1;
}

std::int64_t saturating_subtract(std::int64_t value, std::int64_t amount) {
  constexpr std::int64_t kLowest = std::numeric_limits<std::int64_t>::min();
  return value < kLowest + amount ? kLowest : value - amount;
}

}  // namespace

Result<Lookback> parse_lookback(std::string_view text) {
  Lookback lookback;
  lookback.text = std::string(text);
  if (is_plain_number(text)) {
    double amount = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(amount)) {
      lookback.kind = Lookback::Kind::kAmount;
      lookback.amount = amount;
      constexpr double kLargest = 9.2e18;  // below 2^63, so the cast below is defined
      lookback.whole = amount >= kLargest ? std::numeric_limits<std::int64_t>::max()
                                          : static_cast<std::int64_t>(std::ceil(amount));
      return lookback;
    }
  }
  if (auto duration = config::parse_duration(text)) {
    lookback.kind = Lookback::Kind::kDuration;
    lookback.duration = *duration;
    return lookback;
  }
  return make_error(ErrorCode::kConfig,
                    "lookback '{}' is neither a number (for integer or real cursors, e.g. 100) nor "
                    "a duration (for ISO-8601 text cursors, e.g. 10m)",
                    text);
}

Result<CursorValue> apply_lookback(const CursorValue& last, const Lookback& lookback) {
  if (last.is_null() || lookback.kind == Lookback::Kind::kNone) return last;
  if (lookback.kind == Lookback::Kind::kAmount) {
    if (const auto* integer = last.as_integer()) {
      return CursorValue::integer(saturating_subtract(*integer, lookback.whole));
    }
    if (const auto* real = last.as_real()) return CursorValue::real(*real - lookback.amount);
    return make_error(ErrorCode::kConfig,
                      "lookback '{}' is a number, but the cursor column holds text: write the "
                      "lookback as a duration such as 10m (for ISO-8601 timestamps)",
                      lookback.text);
  }
  const auto* text = last.as_text();
  if (text == nullptr) {
    return make_error(ErrorCode::kConfig,
                      "lookback '{}' is a duration, but the cursor column holds numbers: write the "
                      "lookback as a number in the column's own unit (e.g. 600 for seconds)",
                      lookback.text);
  }
  auto earlier = subtract_from_timestamp(*text, lookback.duration);
  if (!earlier) {
    return make_error(
        ErrorCode::kConfig,
        "lookback '{}' is a duration, but the cursor column holds text that is not an "
        "ISO-8601 date or date-time (like 2024-05-01 12:30:00): store timestamps in "
        "that form, or use a numeric cursor with a numeric lookback",
        lookback.text);
  }
  return CursorValue::text(std::move(*earlier));
}

}  // namespace ferry::connectors::sqlite_query
