#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/cli/command.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {

// The one list of commands, in the order `ferry --help` shows them.
std::vector<const CommandSpec*> all_commands() {
  return {
      &validate_command(),    &run_command(),          &sync_command(),
      &status_command(),      &check_command(),        &preview_command(),
      &erase_command(),       &audit_verify_command(), &audit_show_command(),
      &keys_init_command(),   &keys_rotate_command(),  &keys_list_command(),
      &keys_export_command(), &keys_import_command(),  &pseudonymize_command(),
      &reveal_command(),
  };
}

void print_overview(std::ostream& out) {
  out << "ferry " FERRY_VERSION
         " - pseudonymizing data agent for schools\n\n"
         "Usage: ferry COMMAND [OPTIONS]\n\nCommands:\n";
  for (const CommandSpec* command : all_commands()) {
    out << fmt::format("  {:<14}{}\n", command->name, command->summary);
  }
  out << "\n  --version     print the version\n"
         "  --help        show this help\n\n"
         "Run 'ferry COMMAND --help' for a command's options. Exit codes: 0 success, 1 runtime\n"
         "failure, 2 usage or configuration error. Documentation: docs/ in the source tree.\n";
}

void print_command_help(const CommandSpec& command, std::ostream& out) {
  out << "Usage: " << command.usage << "\n\n" << command.summary << "\n";
  if (!command.details.empty()) out << "\n" << command.details << "\n";
  out << "\n" << format_options(command.options);
}

// Matches the longest command name at the start of args ("keys rotate" before "keys").
const CommandSpec* find_command(std::span<const std::string> args, std::size_t& words) {
  const CommandSpec* best = nullptr;
  for (const CommandSpec* command : all_commands()) {
    std::vector<std::string> parts;
    std::string_view name = command->name;
    for (std::size_t start = 0; start <= name.size();) {
      std::size_t space = name.find(' ', start);
      if (space == std::string_view::npos) space = name.size();
      parts.emplace_back(name.substr(start, space - start));
      start = space + 1;
    }
    if (parts.size() <= args.size() && std::equal(parts.begin(), parts.end(), args.begin()) &&
        (best == nullptr || parts.size() > words)) {
      best = command;
      words = parts.size();
    }
  }
  return best;
}

}  // namespace

int fail(Io& io, int code, std::string_view message) {
  io.err << "ferry: " << message << '\n';
  return code;
}

int run_cli(std::span<const std::string> args, Io& io) {
  if (args.empty()) {
    print_overview(io.err);
    return kExitUsage;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    io.out << "ferry " FERRY_VERSION "\n";
    return kExitOk;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_overview(io.out);
    return kExitOk;
  }
  std::size_t words = 0;
  const CommandSpec* command = find_command(args, words);
  if (command == nullptr) {
    if (args[0] == "keys") {
      return fail(
          io, kExitUsage,
          args.size() > 1
              ? fmt::format("unknown command 'keys {}' (use init, rotate, list, export or import)",
                            args[1])
              : "'keys' needs a subcommand: init, rotate, list, export or import");
    }
    if (args[0] == "audit") {
      return fail(io, kExitUsage,
                  args.size() > 1
                      ? fmt::format("unknown command 'audit {}' (use verify or show)", args[1])
                      : "'audit' needs a subcommand: verify or show");
    }
    return fail(io, kExitUsage,
                fmt::format("unknown command '{}' (run 'ferry --help' for the list)", args[0]));
  }
  const auto rest = args.subspan(words);
  const std::string full_name = fmt::format("ferry {}", command->name);
  auto parsed = parse_args(rest, command->options, full_name);
  if (!parsed) return fail(io, kExitUsage, parsed.error().message);
  if (parsed->has("help")) {
    print_command_help(*command, io.out);
    return kExitOk;
  }
  return command->run(*parsed, io);
}

}  // namespace ferry::cli
