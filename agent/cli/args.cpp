#include "agent/cli/args.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace ferry::cli {

std::optional<std::string> ParsedArgs::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::values(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedArgs> parse_args(std::span<const std::string> args, std::span<const OptionSpec> specs,
                              std::string_view command) {
  ParsedArgs parsed;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg.size() < 2 || arg[0] != '-') {
      parsed.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    std::string_view name;
    std::optional<std::string> inline_value;
    const OptionSpec* spec = nullptr;
    if (arg[1] == '-') {
      std::string_view body = std::string_view(arg).substr(2);
      if (auto eq = body.find('='); eq != std::string_view::npos) {
        inline_value = std::string(body.substr(eq + 1));
        body = body.substr(0, eq);
      }
      name = body;
      auto it = std::find_if(specs.begin(), specs.end(),
                             [&](const OptionSpec& s) { return s.name == name; });
      if (it != specs.end()) spec = &*it;
    } else if (arg.size() == 2) {
      auto it = std::find_if(specs.begin(), specs.end(),
                             [&](const OptionSpec& s) { return s.short_name == arg[1]; });
      if (it != specs.end()) spec = &*it;
    }
    if (spec == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "{}: unknown option '{}' (see '{} --help')",
                        command, arg, command);
    }
    std::string option_value;
    if (spec->value_name.empty()) {
      if (inline_value) {
        return make_error(ErrorCode::kInvalidArgument, "{}: option --{} takes no value", command,
                          spec->name);
      }
    } else if (inline_value) {
      option_value = *inline_value;
    } else if (i + 1 < args.size()) {
      option_value = args[++i];
    } else {
      return make_error(ErrorCode::kInvalidArgument, "{}: option --{} needs a value ({})", command,
                        spec->name, spec->value_name);
    }
    auto& slot = parsed.values_[std::string(spec->name)];
    if (!slot.empty() && !spec->repeatable) {
      return make_error(ErrorCode::kInvalidArgument, "{}: option --{} given more than once",
                        command, spec->name);
    }
    slot.push_back(std::move(option_value));
  }
  return parsed;
}

std::string format_options(std::span<const OptionSpec> specs) {
  std::vector<std::string> left;
  std::size_t width = 0;
  for (const auto& spec : specs) {
    std::string text = spec.short_name != '\0'
                           ? fmt::format("-{}, --{}", spec.short_name, spec.name)
                           : fmt::format("    --{}", spec.name);
    if (!spec.value_name.empty()) text += " " + std::string(spec.value_name);
    width = std::max(width, text.size());
    left.push_back(std::move(text));
  }
  std::string out = "Options:\n";
  for (std::size_t i = 0; i < specs.size(); ++i) {
    out += fmt::format("  {:<{}}  {}\n", left[i], width, specs[i].help);
  }
  return out;
}

}  // namespace ferry::cli
