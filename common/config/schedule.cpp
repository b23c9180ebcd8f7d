#include "common/config/schedule.hpp"

#include "common/config/text.hpp"

namespace ferry::config {

Result<Schedule> parse_schedule(std::string_view text) {
  const std::string_view input = trim(text);
  const std::vector<std::string_view> words = split_words(input);
  Schedule schedule;
  if (!words.empty() && to_lower(words.front()) == "every") {
    const std::string_view rest = trim(input.substr(words.front().size()));
    if (rest.empty()) {
      return make_error(ErrorCode::kConfig, "'every' needs an interval, as in every 15m");
    }
    auto every = parse_duration(rest);
    if (!every) return tl::unexpected(every.error());
    if (*every < kMinimumEvery) {
      return make_error(ErrorCode::kConfig, "'{}' is too often: the shortest interval is every {}",
                        input, format_duration(kMinimumEvery));
    }
    schedule.kind = Schedule::Kind::kEvery;
    schedule.every = *every;
    return schedule;
  }
  if (words.size() == 5 || (words.size() == 1 && input.front() == '@') || words.size() == 6) {
    auto cron = parse_cron(input);
    if (!cron) return tl::unexpected(cron.error());
    schedule.kind = Schedule::Kind::kCron;
    schedule.cron = cron->text;
    schedule.cron_spec = std::move(*cron);
    return schedule;
  }
  return make_error(ErrorCode::kConfig,
                    "'{}' is not a schedule: write 'every' and an interval (every 15m) or a "
                    "5-field cron expression (0 6 * * mon-fri)",
                    input);
}

}  // namespace ferry::config
