// "1 row", "2 rows", "0 rows": how every message and table counts things for a person, so that
// no output says "1 bad values". The plural is the noun plus "s" unless given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace ferry::config {

inline std::string counted(std::uint64_t count, std::string_view noun,
                           std::string_view plural = {}) {
  if (count == 1) return fmt::format("1 {}", noun);
  if (plural.empty()) return fmt::format("{} {}s", count, noun);
  return fmt::format("{} {}", count, plural);
}

}  // namespace ferry::config
