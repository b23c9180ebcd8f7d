#include "common/config/env_expand.hpp"

#include "common/config/text.hpp"

namespace ferry::config {

namespace {

bool is_variable_name(std::string_view name) {
  if (name.empty() || is_ascii_digit(name.front())) return false;
  return is_name(name, "_");
}

}  // namespace

Result<std::string> expand_env(std::string_view text, const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i];
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::kConfig,
                        "a '${{' has no closing '}}' (write ${{NAME}}, or $${{ for a literal ${{)");
    }
    const std::string name(text.substr(i + 2, close - i - 2));
    if (!is_variable_name(name)) {
      return make_error(ErrorCode::kConfig,
                        "'${{{}}}' is not a valid variable reference (a name is letters, digits "
                        "and _, not starting with a digit)",
                        name);
    }
    const std::optional<std::string> value = lookup(name);
    if (!value) {
      return make_error(ErrorCode::kConfig,
                        "environment variable {} is not set: set it for ferry (for a service, in "
                        "its environment file) or write the value here",
                        name);
    }
    out += *value;
    i = close + 1;
  }
  return out;
}

}  // namespace ferry::config
