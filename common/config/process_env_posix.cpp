// The process's environment on Linux (env_expand.hpp): getenv.
#include <cstdlib>

#include "common/config/env_expand.hpp"

namespace ferry::config {

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace ferry::config
