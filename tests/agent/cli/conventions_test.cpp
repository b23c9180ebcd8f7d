// The command-line conventions admins expect (issue 15), checked over every command `ferry --help`
// lists: `ferry CMD --help`, `ferry help CMD` and `ferry GROUP --help` print help and exit 0; an
// unknown option is one line naming the command, exit 2, never "ferry: ferry ..."; a mistyped
// command gets a did-you-mean; bare `ferry` prints the overview and exits 0; a configuration
// file that is missing, does not parse or does not validate is exit 2 in every command that
// reads one, naming the file.
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

std::vector<std::string> words_of(const std::string& command) {
  std::vector<std::string> words;
  std::istringstream in(command);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

test::ProcessResult ferry(std::vector<std::string> args) {
  args.insert(args.begin(), FERRY_BINARY);
  return test::run_process(args);
}

// The commands of `ferry --help`: the lines "  NAME  summary" between "Commands:" and the blank
// line, NAME being one or two words (two spaces end it).
std::vector<std::string> listed_commands() {
  const auto overview = ferry({"--help"});
  REQUIRE(overview.exit_code == 0);
  std::vector<std::string> commands;
  std::istringstream lines(overview.out.substr(overview.out.find("Commands:\n") + 10));
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    commands.push_back(line.substr(2, line.find("  ", 2) - 2));
  }
  return commands;
}

TEST_CASE("every command follows the same command-line conventions") {
  const auto commands = listed_commands();
  REQUIRE(commands.size() >= 17);
  for (const std::string& command : commands) {
    INFO(command);
    auto args = words_of(command);
    args.push_back("--help");
    const auto help = ferry(args);
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, StartsWith("Usage: ferry " + command));
    CHECK(help.err.empty());

    auto asked = words_of(command);
    asked.insert(asked.begin(), "help");
    const auto via_help = ferry(asked);
    CHECK(via_help.exit_code == 0);
    CHECK(via_help.out == help.out);

    auto wrong = words_of(command);
    wrong.push_back("--no-such-option");
    const auto refused = ferry(wrong);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err == "ferry " + command + ": unknown option '--no-such-option' (see 'ferry " +
                             command + " --help')\n");
  }
}

TEST_CASE("groups bare ferry and mistyped commands get help rather than a bare refusal") {
  const auto bare = ferry({});
  CHECK(bare.exit_code == 0);
  CHECK_THAT(bare.out, StartsWith("ferry ") && Contains("Commands:"));
  CHECK(ferry({"help"}).out == bare.out);

  for (const char* group : {"keys", "audit", "service"}) {
    INFO(group);
    const auto help = ferry({group, "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, StartsWith(std::string("Usage: ferry ") + group + " COMMAND"));
    const auto missing = ferry({group});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, StartsWith(std::string("ferry: '") + group + "' needs a subcommand"));
  }
  const auto typo = ferry({"statsu"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Contains("did you mean 'status'?"));
  const auto sub_typo = ferry({"keys", "rotat"});
  CHECK(sub_typo.exit_code == 2);
  CHECK_THAT(sub_typo.err, Contains("did you mean 'keys rotate'?"));
}

TEST_CASE("on Linux the Windows service commands point at the systemd unit") {
  for (const char* sub : {"install", "uninstall", "start", "stop"}) {
    INFO(sub);
    const auto refused = ferry({"service", sub});
    CHECK(refused.exit_code == 2);
    CHECK(refused.out.empty());
    CHECK(refused.err ==
          "ferry service is for Windows; on Linux the package installs the systemd unit: "
          "systemctl enable --now ferry (docs/install-linux.md)\n");
  }
}

TEST_CASE("every command refuses a missing or broken configuration with exit 2") {
  test::TempDir dir;
  const std::string missing = (dir / "missing.yaml").string();
  const std::string unparsable = dir.write("unparsable.yaml", "agent:\n  id: [school\n").string();
  const std::string invalid = dir.write("invalid.yaml", "agent:\n  idd: school-042\n").string();
  // What each command needs besides -c to get as far as reading the configuration.
  const std::map<std::string, std::vector<std::string>> arguments = {
      {"erase", {"--domain", "user", "student-1"}},
      {"reveal", {"--domain", "user", "AAAA"}},
      {"pseudonymize", {"--domain", "user", "student-1"}},
      {"diagnose", {"--out", (dir / "bundle.tar.gz").string()}},
      {"keys export", {"--out", (dir / "keys.export").string()}},
      {"keys import", {(dir / "keys.export").string()}},
      {"keys rotate", {"--yes"}},
  };
  const auto commands = listed_commands();
  for (const std::string& command : commands) {
    // The Windows service's commands read no configuration here (service_commands_test.cpp).
    if (command.starts_with("service ")) continue;
    for (const std::string& config : {missing, unparsable, invalid}) {
      INFO(command << " -c " << config);
      auto args = words_of(command);
      args.insert(args.end(), {"-c", config});
      if (auto extra = arguments.find(command); extra != arguments.end()) {
        args.insert(args.end(), extra->second.begin(), extra->second.end());
      }
      const auto refused = ferry(args);
      CHECK(refused.exit_code == 2);
      CHECK_THAT(refused.out + refused.err, Contains(config + ":"));
    }
  }
  CHECK_FALSE(std::filesystem::exists(dir / "bundle.tar.gz"));
  CHECK_FALSE(std::filesystem::exists(dir / "keys.export"));
}

}  // namespace
}  // namespace ferry
