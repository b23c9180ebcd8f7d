// Five-field cron expressions for `schedule:` (minute hour day-of-month month day-of-week), parsed
// once at load time so that the scheduler only asks for the next fire time.
//
// Accepted, per field: `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from a to the
// field's end), and comma-separated lists of these. Months accept jan-dec and days of the week
// sun-sat (any case); in day-of-week both 0 and 7 are Sunday. The macros @hourly, @daily
// (@midnight), @weekly, @monthly and @yearly (@annually) are accepted too.
//
// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted (neither
// starts with `*`), a day matches if either does; otherwise both must. Times are UTC.
#pragma once

#include <bitset>
#include <chrono>
#include <string>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::config {

struct CronSpec {
  std::string text;               // the expression as written, trimmed
  std::bitset<60> minutes;        // 0-59
  std::bitset<24> hours;          // 0-23
  std::bitset<32> days_of_month;  // 1-31 (bit 0 unused)
  std::bitset<13> months;         // 1-12 (bit 0 unused)
  std::bitset<7> days_of_week;    // 0-6, 0 = Sunday
  bool day_of_month_star = true;  // the field started with '*'
  bool day_of_week_star = true;

  // Whether the expression fires at this minute (UTC); seconds are ignored.
  bool matches(std::chrono::system_clock::time_point t) const;

  // The first whole minute strictly after `t` at which the expression fires (UTC). parse_cron
  // rejects expressions that never fire, so this always finds one for a parsed CronSpec.
  std::chrono::system_clock::time_point next_after(std::chrono::system_clock::time_point t) const;
};

// Parses and validates an expression; errors say which field is wrong and why.
Result<CronSpec> parse_cron(std::string_view expression);

}  // namespace ferry::config
