#include "common/config/cron.hpp"

#include <catch2/catch.hpp>

using ferry::config::CronSpec;
using ferry::config::parse_cron;
using std::chrono::sys_days;
using std::chrono::system_clock;
using namespace std::chrono;

namespace {

// A UTC time from its parts, for readable expectations.
system_clock::time_point utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

CronSpec cron(std::string_view text) {
  auto parsed = parse_cron(text);
  INFO(text << ": " << (parsed ? std::string("ok") : parsed.error().message));
  REQUIRE(parsed);
  return *parsed;
}

std::string error_of(std::string_view text) {
  auto parsed = parse_cron(text);
  return parsed ? std::string("(accepted)") : parsed.error().message;
}

}  // namespace

TEST_CASE("cron parses stars, lists, ranges and steps into the matching minutes") {
  const CronSpec spec = cron("0-30/10,45 */6 1,15 * *");
  CHECK(spec.minutes.count() == 5);
  CHECK(spec.minutes[0]);
  CHECK(spec.minutes[30]);
  CHECK(spec.minutes[45]);
  CHECK_FALSE(spec.minutes[40]);
  CHECK(spec.hours.count() == 4);
  CHECK(spec.hours[18]);
  CHECK(spec.days_of_month.count() == 2);
  CHECK(spec.months.count() == 12);
  CHECK_FALSE(spec.day_of_month_star);
  CHECK(spec.day_of_week_star);

  const CronSpec from = cron("5/15 * * * *");
  CHECK(from.minutes.count() == 4);
  CHECK(from.minutes[50]);
  CHECK_FALSE(from.minutes[0]);
}

TEST_CASE("cron reads month and weekday names in any case and 7 as Sunday") {
  CHECK(cron("0 0 1 JAN,jul *").months.count() == 2);
  CHECK(cron("0 0 * * Mon-Fri").days_of_week.count() == 5);
  CHECK(cron("0 0 * * 7").days_of_week == cron("0 0 * * sun").days_of_week);
  CHECK(cron("0 0 * * 5-7").days_of_week.count() == 3);
  CHECK(cron("0 0 * * 1/2").days_of_week.count() == 3);  // mon, wed, fri: not 7
}

TEST_CASE("cron accepts the usual macros") {
  CHECK(cron("@daily").next_after(utc(2026, 5, 1, 10)) == utc(2026, 5, 2));
  CHECK(cron("@hourly").next_after(utc(2026, 5, 1, 10, 20)) == utc(2026, 5, 1, 11));
  CHECK(cron("@weekly").next_after(utc(2026, 5, 1)) == utc(2026, 5, 3));
  CHECK(cron("@monthly").next_after(utc(2026, 5, 1)) == utc(2026, 6, 1));
  CHECK(cron("@yearly").next_after(utc(2026, 5, 1)) == utc(2027, 1, 1));
}

TEST_CASE("cron next_after returns the next whole minute strictly after the given time") {
  const CronSpec every_quarter = cron("*/15 * * * *");
  CHECK(every_quarter.next_after(utc(2026, 5, 1, 10, 7, 30)) == utc(2026, 5, 1, 10, 15));
  CHECK(every_quarter.next_after(utc(2026, 5, 1, 10, 15)) == utc(2026, 5, 1, 10, 30));
  CHECK(every_quarter.next_after(utc(2026, 5, 1, 10, 14, 59)) == utc(2026, 5, 1, 10, 15));
  CHECK(every_quarter.next_after(utc(2026, 5, 1, 23, 50)) == utc(2026, 5, 2, 0, 0));
}

TEST_CASE("cron next_after crosses days, months and years") {
  CHECK(cron("30 2 * * *").next_after(utc(2026, 5, 31, 3)) == utc(2026, 6, 1, 2, 30));
  CHECK(cron("0 0 1 * *").next_after(utc(2026, 1, 31, 23, 59)) == utc(2026, 2, 1));
  CHECK(cron("0 0 1 * *").next_after(utc(2026, 12, 15)) == utc(2027, 1, 1));
  CHECK(cron("59 23 31 12 *").next_after(utc(2026, 12, 31, 23, 59)) == utc(2027, 12, 31, 23, 59));
}

TEST_CASE("cron next_after on weekdays skips the weekend") {
  // 2026-05-01 is a Friday.
  const CronSpec weekday_mornings = cron("0 6 * * mon-fri");
  CHECK(weekday_mornings.next_after(utc(2026, 5, 1, 5, 59)) == utc(2026, 5, 1, 6, 0));
  CHECK(weekday_mornings.next_after(utc(2026, 5, 1, 7, 0)) == utc(2026, 5, 4, 6, 0));
}

TEST_CASE("cron next_after finds the next leap day") {
  CHECK(cron("0 0 29 2 *").next_after(utc(2025, 3, 1)) == utc(2028, 2, 29));
}

TEST_CASE("cron with both day fields restricted fires when either matches") {
  // Every Friday and every 13th: 2026-05-01 is a Friday, 2026-05-08 the next one.
  const CronSpec spec = cron("0 12 13 * fri");
  CHECK(spec.next_after(utc(2026, 5, 1, 13)) == utc(2026, 5, 8, 12));
  CHECK(spec.next_after(utc(2026, 5, 11)) == utc(2026, 5, 13, 12));
  CHECK(spec.matches(utc(2026, 5, 13, 12, 0, 42)));
  CHECK_FALSE(spec.matches(utc(2026, 5, 14, 12)));
}

TEST_CASE("cron with a starred day-of-week needs both day fields to match") {
  const CronSpec spec = cron("0 12 13 * */1");
  CHECK(spec.next_after(utc(2026, 5, 1, 13)) == utc(2026, 5, 13, 12));
}

TEST_CASE("cron errors say which field is wrong and why") {
  CHECK(error_of("61 * * * *") == "cron '61 * * * *': minute 61 is out of range 0-59");
  CHECK(error_of("0 24 * * *") == "cron '0 24 * * *': hour 24 is out of range 0-23");
  CHECK(error_of("0 0 0 * *") == "cron '0 0 0 * *': day-of-month 0 is out of range 1-31");
  CHECK(error_of("0 0 * 13 *") == "cron '0 0 * 13 *': month 13 is out of range 1-12");
  CHECK(error_of("0 0 * * 8") == "cron '0 0 * * 8': day-of-week 8 is out of range 0-7");
  CHECK(error_of("0 0 * foo *") ==
        "cron '0 0 * foo *': 'foo' is not a valid month (a number or jan-dec)");
  CHECK(error_of("*/0 * * * *") ==
        "cron '*/0 * * * *': the step in '*/0' must be a whole number of 1 or more");
  CHECK(error_of("0 22-2 * * *") ==
        "cron '0 22-2 * * *': the hour range '22-2' runs backwards; split it into two ranges "
        "(22-23,0-2)");
  CHECK(error_of("0 0 1,,2 * *") ==
        "cron '0 0 1,,2 * *': the day-of-month field '1,,2' has an empty list item");
  CHECK(error_of("* * *") ==
        "cron '* * *' has 3 fields; it needs 5: minute hour day-of-month month day-of-week (as "
        "in 0 6 * * mon-fri)");
  CHECK(error_of("0 0 0 * * *") ==
        "cron '0 0 0 * * *' has 6 fields; it needs 5: minute hour day-of-month month day-of-week "
        "(as in 0 6 * * mon-fri); seconds are not supported");
  CHECK(error_of("@often") ==
        "unknown cron macro '@often' (use @hourly, @daily, @weekly, @monthly or @yearly, or 5 "
        "fields)");
}

TEST_CASE("cron refuses expressions that can never fire") {
  CHECK(error_of("0 0 30 2 *") ==
        "cron '0 0 30 2 *' never fires: none of its months has those days of the month");
  CHECK(error_of("0 0 31 apr,jun,sep,nov *") ==
        "cron '0 0 31 apr,jun,sep,nov *' never fires: none of its months has those days of the "
        "month");
  // With day-of-week restricted too, either field may match, so it does fire.
  CHECK(parse_cron("0 0 30 2 mon"));
}
