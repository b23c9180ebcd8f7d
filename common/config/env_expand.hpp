// `${NAME}` references in configuration values, replaced from the environment (SPEC section 3).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::config {

// Returns the value of an environment variable, or nullopt when it is not set. A variable that is
// set but empty yields "" (allowed: it is what the administrator wrote).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the process environment (std::getenv).
std::optional<std::string> process_env(const std::string& name);

// Replaces every `${NAME}` (NAME is [A-Za-z_][A-Za-z0-9_]*) with its value. `$${` writes a literal
// `${`; any other `$` is kept as is. Errors name the variable or the malformed reference only,
// never the rest of the text (the text may be a secret).
Result<std::string> expand_env(std::string_view text, const EnvLookup& lookup = process_env);

}  // namespace ferry::config
