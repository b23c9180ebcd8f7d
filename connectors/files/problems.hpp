// Joining what a source's check() found wrong with its files into one error.
#pragma once

#include <string>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::connectors::files {

// Success when `problems` is empty; else one error with every message, joined by "; ", and the
// first problem's code.
inline Result<void> all_problems(const std::vector<Error>& problems) {
  if (problems.empty()) return {};
  std::string message = problems.front().message;
  for (std::size_t i = 1; i < problems.size(); ++i) message += "; " + problems[i].message;
  return tl::unexpected(Error{problems.front().code, std::move(message)});
}

}  // namespace ferry::connectors::files
