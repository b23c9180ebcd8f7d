#include "common/keys/key_age.hpp"

#include <algorithm>
#include <ctime>
#include <string>

namespace ferry::keys {

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  const std::string copy(text);
  std::tm tm{};
  const char* end = ::strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
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
