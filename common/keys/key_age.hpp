// How old the active key is, and whether agent.key_rotation_period says it is due for
// `ferry keys rotate`: the one rule `ferry status`, `ferry check` and the metrics share. There is
// no period by default, and then a key is never due.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace ferry::keys {

struct KeyAge {
  std::chrono::seconds age{0};  // 0 when `created` is in the future
  bool rotation_due = false;    // older than the period (never without one)
  // Time left until it is due; nullopt without a period, 0 once due.
  std::optional<std::chrono::seconds> due_in;
};

// nullopt when `created` is not an RFC 3339 UTC time ("2026-11-01T09:00:00Z").
std::optional<KeyAge> key_age(std::string_view created, std::chrono::system_clock::time_point now,
                              std::optional<std::chrono::milliseconds> rotation_period);

// "2026-11-01T09:00:00Z" as a time point; nullopt when it does not parse. Fractional seconds
// count to the microsecond; an offset ("2026-11-01T10:00:00+01:00", "-0500") gives the instant it
// names; a time with neither "Z" nor an offset is taken as UTC.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace ferry::keys
