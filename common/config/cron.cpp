#include "common/config/cron.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include "common/config/text.hpp"

namespace ferry::config {

namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::system_clock;

struct FieldSpec {
  std::string_view name;
  int min;
  int max;  // inclusive; day-of-week allows 7 (Sunday) and folds it to 0
  const std::array<std::string_view, 12>* names;
  int first_name_value;
};

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri",
                                                        "sat", "",    "",    "",    "",    ""};

constexpr FieldSpec kFields[] = {
    {"minute", 0, 59, nullptr, 0},        {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},  {"month", 1, 12, &kMonthNames, 1},
    {"day-of-week", 0, 7, &kDayNames, 0},
};

constexpr std::pair<std::string_view, std::string_view> kMacros[] = {
    {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},   {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

Result<int> parse_value(std::string_view text, const FieldSpec& field, std::string_view expr) {
  if (field.names != nullptr) {
    const std::string lowered = to_lower(text);
    for (std::size_t i = 0; i < field.names->size(); ++i) {
      if (!(*field.names)[i].empty() && lowered == (*field.names)[i]) {
        return static_cast<int>(i) + field.first_name_value;
      }
    }
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    const char* hint = field.names == &kMonthNames ? " (a number or jan-dec)"
                       : field.names == &kDayNames ? " (a number or sun-sat)"
                                                   : "";
    return make_error(ErrorCode::kConfig, "cron '{}': '{}' is not a valid {}{}", expr, text,
                      field.name, hint);
  }
  if (value < field.min || value > field.max) {
    return make_error(ErrorCode::kConfig, "cron '{}': {} {} is out of range {}-{}", expr,
                      field.name, value, field.min, field.max);
  }
  return value;
}

// Sets the bits of one field (`*/15`, `1-5`, `mon,wed,fri`, ...) in `bits` (indexed by value).
Result<void> parse_field(std::string_view text, const FieldSpec& field, std::string_view expr,
                         std::vector<bool>& bits) {
  for (const std::string_view part : split(text, ',')) {
    if (part.empty()) {
      return make_error(ErrorCode::kConfig, "cron '{}': the {} field '{}' has an empty list item",
                        expr, field.name, text);
    }
    std::string_view range = part;
    int step = 1;
    bool has_step = false;
    if (const std::size_t slash = part.find('/'); slash != std::string_view::npos) {
      const std::string_view step_text = part.substr(slash + 1);
      const auto [end, ec] =
          std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() ||
          step < 1) {
        return make_error(ErrorCode::kConfig,
                          "cron '{}': the step in '{}' must be a whole number of 1 or more", expr,
                          part);
      }
      range = part.substr(0, slash);
      has_step = true;
    }
    int low = field.min;
    int high = field.max;
    if (range == "*") {
      if (field.max == 7) high = 6;  // day-of-week: * is Sunday to Saturday once
    } else if (const std::size_t dash = range.find('-'); dash != std::string_view::npos) {
      auto first = parse_value(range.substr(0, dash), field, expr);
      if (!first) return tl::unexpected(first.error());
      auto last = parse_value(range.substr(dash + 1), field, expr);
      if (!last) return tl::unexpected(last.error());
      low = *first;
      high = *last;
      if (low > high) {
        return make_error(ErrorCode::kConfig,
                          "cron '{}': the {} range '{}' runs backwards; split it into two ranges "
                          "({}-{},{}-{})",
                          expr, field.name, range, low, field.max == 7 ? 6 : field.max, field.min,
                          high);
      }
    } else {
      auto value = parse_value(range, field, expr);
      if (!value) return tl::unexpected(value.error());
      low = *value;
      // `a/n` runs from a to the end of the field (Saturday for day-of-week, not 7 = Sunday).
      high = has_step ? (field.max == 7 ? 6 : field.max) : *value;
    }
    for (int v = low; v <= high; v += step) bits[static_cast<std::size_t>(v)] = true;
  }
  return {};
}

template <std::size_t N>
std::bitset<N> to_bitset(const std::vector<bool>& bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N && i < bits.size(); ++i) out[i] = bits[i];
  return out;
}

int days_in_month(int month) {
  constexpr int kDays[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};  // Feb in leap years
  return kDays[month];
}

bool day_matches(const CronSpec& spec, sys_days day) {
  const std::chrono::year_month_day date(day);
  if (!spec.months[static_cast<unsigned>(date.month())]) return false;
  const bool dom = spec.days_of_month[static_cast<unsigned>(date.day())];
  const bool dow = spec.days_of_week[std::chrono::weekday(day).c_encoding()];
  if (spec.day_of_month_star || spec.day_of_week_star) return dom && dow;
  return dom || dow;
}

}  // namespace

Result<CronSpec> parse_cron(std::string_view expression) {
  CronSpec spec;
  spec.text = std::string(trim(expression));
  std::string_view expanded = spec.text;
  if (!expanded.empty() && expanded.front() == '@') {
    const std::string lowered = to_lower(expanded);
    bool found = false;
    for (const auto& [macro, fields] : kMacros) {
      if (lowered == macro) {
        expanded = fields;
        found = true;
      }
    }
    if (!found) {
      return make_error(ErrorCode::kConfig,
                        "unknown cron macro '{}' (use @hourly, @daily, @weekly, @monthly or "
                        "@yearly, or 5 fields)",
                        spec.text);
    }
  }
  const std::vector<std::string_view> fields = split_words(expanded);
  if (fields.size() != 5) {
    return make_error(ErrorCode::kConfig,
                      "cron '{}' has {} field{}; it needs 5: minute hour day-of-month month "
                      "day-of-week (as in 0 6 * * mon-fri){}",
                      spec.text, fields.size(), fields.size() == 1 ? "" : "s",
                      fields.size() == 6 ? "; seconds are not supported" : "");
  }
  std::array<std::vector<bool>, 5> bits;
  for (std::size_t i = 0; i < 5; ++i) {
    bits[i].assign(static_cast<std::size_t>(kFields[i].max) + 1, false);
    auto parsed = parse_field(fields[i], kFields[i], spec.text, bits[i]);
    if (!parsed) return tl::unexpected(parsed.error());
  }
  if (bits[4][7]) bits[4][0] = true;  // 7 is Sunday too
  spec.minutes = to_bitset<60>(bits[0]);
  spec.hours = to_bitset<24>(bits[1]);
  spec.days_of_month = to_bitset<32>(bits[2]);
  spec.months = to_bitset<13>(bits[3]);
  spec.days_of_week = to_bitset<7>(bits[4]);
  spec.day_of_month_star = fields[2].front() == '*';
  spec.day_of_week_star = fields[4].front() == '*';

  // With day-of-month restricted and day-of-week starred, both must match: "30 feb" never does.
  if (spec.day_of_week_star) {
    bool possible = false;
    for (int month = 1; month <= 12 && !possible; ++month) {
      if (!spec.months[static_cast<std::size_t>(month)]) continue;
      for (int day = 1; day <= days_in_month(month) && !possible; ++day) {
        possible = spec.days_of_month[static_cast<std::size_t>(day)];
      }
    }
    if (!possible) {
      return make_error(ErrorCode::kConfig,
                        "cron '{}' never fires: none of its months has those days of the month",
                        spec.text);
    }
  }
  return spec;
}

bool CronSpec::matches(system_clock::time_point t) const {
  const auto minute = std::chrono::floor<std::chrono::minutes>(t);
  const sys_days day = std::chrono::floor<days>(minute);
  const auto minute_of_day = (minute - day).count();
  return day_matches(*this, day) && hours[static_cast<std::size_t>(minute_of_day / 60)] &&
         minutes[static_cast<std::size_t>(minute_of_day % 60)];
}

system_clock::time_point CronSpec::next_after(system_clock::time_point t) const {
  const auto start = std::chrono::floor<std::chrono::minutes>(t) + std::chrono::minutes(1);
  sys_days day = std::chrono::floor<days>(start);
  auto first_minute = (start - day).count();
  // A leap day on a given weekday comes round within 28 years (400 covers every calendar case).
  constexpr int kSearchDays = 400 * 366;
  for (int i = 0; i < kSearchDays; ++i, day += days(1), first_minute = 0) {
    if (!day_matches(*this, day)) continue;
    for (auto m = first_minute; m < 24 * 60; ++m) {
      if (hours[static_cast<std::size_t>(m / 60)] && minutes[static_cast<std::size_t>(m % 60)]) {
        return day + std::chrono::minutes(m);
      }
    }
  }
  return system_clock::time_point::max();  // unreachable for an expression parse_cron accepted
}

}  // namespace ferry::config
