// A small command-line parser: long options (--name VALUE, --name=VALUE), short aliases (-c VALUE),
// flags, repeated options, positionals, and "--" to end options. Errors name the option and point
// at --help; they are usage errors (exit 2).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::cli {

struct OptionSpec {
  std::string_view name;        // long name without dashes: "config"
  char short_name = '\0';       // 'c', or '\0'
  std::string_view value_name;  // "FILE"; empty for a flag
  std::string_view help;
  bool repeatable = false;
};

class ParsedArgs {
 public:
  bool has(std::string_view name) const { return values_.contains(std::string(name)); }
  std::optional<std::string> value(std::string_view name) const;
  std::vector<std::string> values(std::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  friend Result<ParsedArgs> parse_args(std::span<const std::string>, std::span<const OptionSpec>,
                                       std::string_view);
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positionals_;
};

// `command` names the command in messages ("ferry keys rotate").
Result<ParsedArgs> parse_args(std::span<const std::string> args, std::span<const OptionSpec> specs,
                              std::string_view command);

// The options part of --help: one line each, aligned.
std::string format_options(std::span<const OptionSpec> specs);

}  // namespace ferry::cli
