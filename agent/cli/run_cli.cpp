#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/cli/command.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "common/config/did_you_mean.hpp"

namespace ferry::cli {
namespace {

// The one list of commands, in the order `ferry --help` shows them.
std::vector<const CommandSpec*> all_commands() {
  return {
      &validate_command(),
      &run_command(),
      &sync_command(),
      &status_command(),
      &check_command(),
      &preview_command(),
      &erase_command(),
      &diagnose_command(),
      &audit_verify_command(),
      &audit_show_command(),
      &keys_init_command(),
      &keys_rotate_command(),
      &keys_list_command(),
      &keys_export_command(),
      &keys_import_command(),
      &pseudonymize_command(),
      &reveal_command(),
      &service_install_command(),
      &service_uninstall_command(),
      &service_start_command(),
      &service_stop_command(),
  };
}

void print_overview(std::ostream& out) {
  out << "ferry " FERRY_VERSION
         " - pseudonymizing data agent for schools\n\n"
         "Usage: ferry COMMAND [OPTIONS]\n\nCommands:\n";
  for (const CommandSpec* command : all_commands()) {
    out << fmt::format("  {:<19}{}\n", command->name, command->summary);
  }
  out << "\n  help [CMD]         help on a command (the same as 'ferry CMD --help')\n"
         "  --version          print the version\n"
         "  --help             show this help\n\n"
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

// The commands of a group ("keys": keys init, keys rotate, ...), in overview order; empty when
// `word` is not a group.
std::vector<const CommandSpec*> group_commands(std::string_view word) {
  std::vector<const CommandSpec*> group;
  for (const CommandSpec* command : all_commands()) {
    const std::string_view name = command->name;
    if (name.size() > word.size() && name.starts_with(word) && name[word.size()] == ' ') {
      group.push_back(command);
    }
  }
  return group;
}

std::string_view sub_name(const CommandSpec& command) {
  return command.name.substr(command.name.find(' ') + 1);
}

void print_group(std::string_view group, const std::vector<const CommandSpec*>& commands,
                 std::ostream& out) {
  out << fmt::format("Usage: ferry {} COMMAND [OPTIONS]\n\nCommands:\n", group);
  for (const CommandSpec* command : commands) {
    out << fmt::format("  {:<19}{}\n", command->name, command->summary);
  }
  out << fmt::format("\nRun 'ferry {} COMMAND --help' for a command's options.\n", group);
}

}  // namespace

// Every error line starts with "ferry": "ferry: MESSAGE", or, when the message already names its
// command ("ferry sync: ..."), the message as it is: never "ferry: ferry sync: ...".
int fail(Io& io, int code, std::string_view message) {
  if (!message.starts_with("ferry ")) io.err << "ferry: ";
  io.err << message << '\n';
  return code;
}

int run_cli(std::span<const std::string> args, Io& io) {
  // Bare `ferry`, like `ferry --help`: the overview, exit 0.
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    print_overview(io.out);
    return kExitOk;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    io.out << "ferry " FERRY_VERSION "\n";
    return kExitOk;
  }
  // `ferry help [CMD [SUB]]`: the same as `ferry CMD [SUB] --help`.
  if (args[0] == "help") {
    if (args.size() == 1) {
      print_overview(io.out);
      return kExitOk;
    }
    std::vector<std::string> asked(args.begin() + 1, args.end());
    asked.emplace_back("--help");
    return run_cli(asked, io);
  }
  std::size_t words = 0;
  const CommandSpec* command = find_command(args, words);
  if (command == nullptr) {
    // A group (keys, audit): its subcommands, on --help or when none is given.
    const auto group = group_commands(args[0]);
    if (!group.empty()) {
      const bool help = args.size() > 1 && (args[1] == "--help" || args[1] == "-h");
      if (help) {
        print_group(args[0], group, io.out);
        return kExitOk;
      }
      if (args.size() > 1 && !args[1].starts_with("-")) {
        std::vector<std::string> names;
        for (const CommandSpec* sub : group) names.emplace_back(sub_name(*sub));
        const auto guess = config::did_you_mean(args[1], names);
        fail(io, kExitUsage,
             fmt::format("unknown command '{} {}'{}", args[0], args[1],
                         guess ? fmt::format(": did you mean '{} {}'?", args[0], *guess) : ""));
      } else {
        fail(io, kExitUsage, fmt::format("'{}' needs a subcommand", args[0]));
      }
      print_group(args[0], group, io.err);
      return kExitUsage;
    }
    std::vector<std::string> names;
    for (const CommandSpec* known : all_commands()) {
      names.emplace_back(known->name.substr(0, known->name.find(' ')));
    }
    const auto guess = config::did_you_mean(args[0], names);
    return fail(io, kExitUsage,
                fmt::format("unknown command '{}'{} (run 'ferry --help' for the list)", args[0],
                            guess ? fmt::format(": did you mean '{}'?", *guess) : ""));
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
