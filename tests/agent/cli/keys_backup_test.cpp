// `ferry keys export`, `keys import`, `keys rotate` and their warnings in `ferry check`, as an
// admin runs them: the real binary, real files, and for the questions a real pseudo-terminal
// (echo off is checked on what the terminal shows). Exports use the default scrypt cost.
#include <chrono>
#include <cstring>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cli/check_report.hpp"
#include "tests/support/minimal_config.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace ferry {
namespace {

using test::ProcessResult;

constexpr std::string_view kPassphrase = "blue pelican over the harbour";

// A data directory, a minimal configuration pointing at it, and `ferry` run against it.
struct Site {
  test::TempDir dir;
  std::filesystem::path config;

  explicit Site(std::string_view agent_extra = "") {
    config =
        dir.write("ferry.yaml", test::minimal_config(dir / "data", dir / "export", agent_extra));
  }

  ProcessResult ferry(std::vector<std::string> args) const {
    args.insert(args.begin(), FERRY_BINARY);
    return test::run_process(args, {"FERRY_CONFIG=" + config.string()});
  }

  std::filesystem::path keyring() const { return dir / "data" / "keyring.json"; }

  // A private file holding `content`, for --passphrase-file.
  std::filesystem::path passphrase_file(std::string_view content,
                                        std::string_view name = "passphrase") const {
    return dir.write_private(name, content);
  }

  ProcessResult export_to(const std::filesystem::path& out) const {
    return ferry({"keys", "export", "--out", out.string(), "--passphrase-file",
                  passphrase_file(std::string(kPassphrase) + "\n").string()});
  }

  ProcessResult import_from(const std::filesystem::path& file,
                            std::string_view passphrase = kPassphrase) const {
    return ferry({"keys", "import", file.string(), "--passphrase-file",
                  passphrase_file(passphrase, "import-passphrase").string()});
  }

  // `ferry keys init`, then an export to backup.json; its path.
  std::filesystem::path init_and_export() const {
    REQUIRE(ferry({"keys", "init"}).exit_code == 0);
    const auto out = dir / "backup.json";
    REQUIRE(export_to(out).exit_code == 0);
    return out;
  }

  // The `ferry check --json` line named `name`: {"check", "result", "message"}, or null.
  boost::json::value check_line(std::string_view name) const {
    const auto result = ferry({"check", "--json"});
    boost::system::error_code ec;
    auto report = boost::json::parse(result.out, ec);
    REQUIRE_FALSE(ec);
    for (const auto& line : report.at("checks").as_array()) {
      if (line.at("check").as_string() == name) return line;
    }
    return nullptr;
  }
};

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// What a session on a pseudo-terminal showed, and how it ended.
struct TerminalRun {
  int exit_code = -1;
  std::string screen;  // everything the program wrote, and the terminal echoed
};

// Runs `ferry ARGS...` with a pseudo-terminal as its standard input, output and error. For each
// (prompt, answer) in turn: waits until the screen shows `prompt` after the previous answer, then
// types `answer` and Enter. Gives up (kills it, fails the test) after 60 s.
TerminalRun run_on_terminal(const Site& site, std::vector<std::string> args,
                            const std::vector<std::pair<std::string, std::string>>& dialogue) {
  args.insert(args.begin(), FERRY_BINARY);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = {"FERRY_CONFIG=" + site.config.string()};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "FERRY_CONFIG=", 13) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  TerminalRun run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::size_t next = 0;         // the next prompt to answer
  std::size_t answered_at = 0;  // where the screen stood at the last answer
  for (;;) {
    if (next < dialogue.size() &&
        run.screen.find(dialogue[next].first, answered_at) != std::string::npos) {
      const std::string typed = dialogue[next].second + "\n";
      REQUIRE(::write(master, typed.data(), typed.size()) == static_cast<ssize_t>(typed.size()));
      answered_at = run.screen.size();
      ++next;
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ::close(master);
      FAIL("the program did not finish on its terminal; it showed: " << run.screen);
    }
    pollfd fd{master, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t got = ::read(master, buffer, sizeof buffer);
    if (got <= 0) break;  // EIO: the program closed the terminal (it ended)
    run.screen.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(master);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  CHECK(next == dialogue.size());  // every prompt was shown
  return run;
}

TEST_CASE("keys init says to export the key file now and why") {
  Site site;
  const auto result = site.ferry({"keys", "init"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out,
             Catch::Contains("back this file up now: ferry keys export -c " + site.config.string() +
                             " --out FILE") &&
                 Catch::Contains("no token can ever be revealed\nagain, and every student "
                                 "becomes new to the vendor"));
}

TEST_CASE("keys export and import restore the key file from a passphrase file") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "rotate", "--yes"}).exit_code == 0);
  const std::string keys_before = test::read_file(site.keyring());
  const auto out = site.dir / "backup" / "ferry-keys.json";
  std::filesystem::create_directories(out.parent_path());

  const auto exported = site.export_to(out);
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK_THAT(exported.out,
             Catch::StartsWith("wrote " + out.string() +
                               ": key versions 1-2 (active 2), "
                               "encrypted under the passphrase (scrypt N=131072 r=8 p=1, "
                               "AES-256-GCM)\n"));
  CHECK(mode_of(out) == 0600);
  const std::string file = test::read_file(out);
  CHECK_THAT(file, Catch::StartsWith("{\"format\":\"ferry-key-export-1\""));
  // No secret and no passphrase in the clear.
  auto keyring = boost::json::parse(keys_before);
  for (const auto& key : keyring.at("keys").as_array()) {
    CHECK_FALSE(contains(file, std::string(key.at("secret").as_string())));
  }
  CHECK_FALSE(contains(file, kPassphrase));

  // A new machine: no data_dir at all. The import makes it, and the same key file.
  Site restored;
  const auto imported = restored.import_from(out);
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out,
             Catch::StartsWith(out.string() + " holds key versions 1-2 (active 2), exported ") &&
                 Catch::Contains("from agent school-042\n" + restored.keyring().string() +
                                 " now holds key versions 1-2 (active 2)\n"));
  CHECK(test::read_file(restored.keyring()) == keys_before);
  CHECK(mode_of(restored.keyring()) == 0600);
  CHECK(mode_of(restored.dir / "data") == 0700);
  // The restored keys reveal the old tokens.
  const auto token = site.ferry({"pseudonymize", "--domain", "user", "s-1001"});
  REQUIRE(token.exit_code == 0);
  std::string line = token.out.substr(0, token.out.find('\n'));
  const auto revealed = restored.ferry({"reveal", "--domain", "user", line});
  CHECK(revealed.out == "s-1001\n");
  // Both are in the audit logs, without a secret.
  CHECK(contains(test::read_file(site.dir / "data" / "audit.log"), "\"event\":\"key_exported\""));
  const std::string audit = test::read_file(restored.dir / "data" / "audit.log");
  CHECK(contains(audit, "\"event\":\"key_imported\""));
  CHECK(contains(audit, "\"outcome\":\"created\""));
}

TEST_CASE("keys export never replaces a file") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto out = site.dir.write("taken.json", "something else\n");
  const auto refused = site.export_to(out);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == "ferry: " + out.string() +
                           " already exists: an export never replaces a file; give another "
                           "--out, e.g. one with today's date\n");
  CHECK(test::read_file(out) == "something else\n");
  // A dangling link is a file there too.
  const auto link = site.dir / "link.json";
  std::filesystem::create_symlink(site.dir / "nowhere.json", link);
  CHECK(site.export_to(link).exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(site.dir / "nowhere.json"));
}

TEST_CASE("keys export and import need --passphrase-file where there is no terminal") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto out = site.dir / "backup.json";
  const auto exported = site.ferry({"keys", "export", "--out", out.string()});
  CHECK(exported.exit_code == 2);
  CHECK(exported.err ==
        "ferry keys export: there is no terminal to ask for the passphrase on: give "
        "--passphrase-file FILE (a file only you can read, the passphrase on its first line)\n");
  CHECK_FALSE(std::filesystem::exists(out));
  const auto no_out = site.ferry({"keys", "export"});
  CHECK(no_out.exit_code == 2);
  CHECK_THAT(no_out.err, Catch::Contains("--out FILE is required"));

  REQUIRE(site.export_to(out).exit_code == 0);
  const auto imported = site.ferry({"keys", "import", out.string()});
  CHECK(imported.exit_code == 2);
  CHECK_THAT(imported.err, Catch::StartsWith("ferry keys import: there is no terminal"));
  const auto no_file = site.ferry({"keys", "import"});
  CHECK(no_file.exit_code == 2);
  CHECK_THAT(no_file.err, Catch::Contains("give the export file"));
}

TEST_CASE("a passphrase file follows the secret file rules") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto export_with = [&](const std::filesystem::path& passphrase_file,
                               std::string_view name) {
    return site.ferry({"keys", "export", "--out", (site.dir / name).string(), "--passphrase-file",
                       passphrase_file.string()});
  };
  // Readable by others: refused, with the chmod that fixes it.
  const auto open_file = site.dir.write("open-passphrase", std::string(kPassphrase));
  ::chmod(open_file.c_str(), 0644);
  auto result = export_with(open_file, "a.json");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("--passphrase-file: " + open_file.string() +
                                         " is readable by others (mode 0644): run chmod 600"));
  // A symbolic link: refused.
  const auto target = site.passphrase_file(kPassphrase, "real-passphrase");
  const auto link = site.dir / "linked-passphrase";
  std::filesystem::create_symlink(target, link);
  CHECK(export_with(link, "b.json").exit_code == 2);
  // Empty, two lines, too short.
  result = export_with(site.passphrase_file("\n", "empty"), "c.json");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("is empty"));
  result = export_with(site.passphrase_file("first line of it\nsecond\n", "two"), "d.json");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("holds more than one line"));
  result = export_with(site.passphrase_file("elevenchars", "short"), "e.json");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("is shorter than 12 characters"));
  for (const char* name : {"a.json", "b.json", "c.json", "d.json", "e.json"}) {
    CHECK_FALSE(std::filesystem::exists(site.dir / name));
  }
  // One trailing line end (LF or CRLF) is not part of the passphrase: made with "P\r\n", the
  // export opens with "P".
  REQUIRE(export_with(site.passphrase_file(std::string(kPassphrase) + "\r\n", "crlf"), "f.json")
              .exit_code == 0);
  Site other;
  const auto imported = other.import_from(site.dir / "f.json", kPassphrase);
  INFO(imported.err);
  CHECK(imported.exit_code == 0);
}

TEST_CASE("keys import refuses a wrong passphrase and a damaged file") {
  Site site;
  const auto out = site.init_and_export();

  Site fresh;
  auto wrong = fresh.import_from(out, "blue pelican over the harbor");
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.err, Catch::StartsWith("ferry: cannot open " + out.string() +
                                          ": wrong passphrase or damaged file"));
  CHECK_FALSE(std::filesystem::exists(fresh.keyring()));

  std::string text = test::read_file(out);
  const auto at = text.find("\"agent_id\":\"school-042\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, 23, "\"agent_id\":\"school-043\"");
  const auto changed = site.dir.write("changed.json", text);
  auto damaged = fresh.import_from(changed);
  CHECK(damaged.exit_code == 1);
  CHECK_THAT(damaged.err, Catch::Contains("wrong passphrase or damaged file"));
  CHECK_FALSE(std::filesystem::exists(fresh.keyring()));

  auto not_export = fresh.import_from(site.keyring());
  CHECK(not_export.exit_code == 1);
  CHECK_THAT(not_export.err, Catch::Contains("is not a Ferry key export"));
}

TEST_CASE("keys import into a key file with the same keys changes nothing") {
  Site site;
  const auto out = site.init_and_export();
  const std::string before = test::read_file(site.keyring());
  const auto again = site.import_from(out);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::EndsWith(site.keyring().string() +
                                        " already holds these keys: key version 1 (active); "
                                        "nothing changed\n"));
  CHECK(test::read_file(site.keyring()) == before);
}

TEST_CASE("keys import of a later export brings the key file up to it") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const std::string version_1_only = test::read_file(site.keyring());
  REQUIRE(site.ferry({"keys", "rotate", "--yes"}).exit_code == 0);
  const std::string both = test::read_file(site.keyring());
  const auto out = site.dir / "backup.json";
  REQUIRE(site.export_to(out).exit_code == 0);
  // The machine is restored from a disk image made before the rotation.
  site.dir.write_private("data/keyring.json", version_1_only);
  const auto imported = site.import_from(out);
  INFO(imported.err);
  CHECK(imported.exit_code == 0);
  CHECK_THAT(imported.out, Catch::EndsWith(" now holds key versions 1-2 (active 2)\n"));
  CHECK(test::read_file(site.keyring()) == both);
  CHECK(contains(test::read_file(site.dir / "data" / "audit.log"), "\"outcome\":\"extended\""));
}

TEST_CASE("keys import refuses to replace a different keyring") {
  Site first;
  const auto out = first.init_and_export();

  Site second;
  REQUIRE(second.ferry({"keys", "init"}).exit_code == 0);
  const std::string before = test::read_file(second.keyring());
  const auto refused = second.import_from(out);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err ==
        fmt::format("ferry: {0} holds key version 1 with another secret than the import: "
                    "importing {1} would replace those keys, and no token made with them could "
                    "ever be revealed again; nothing changed. If that key file is new and nothing "
                    "was sent with it (a 'keys init' before the restore), move it aside (mv {0} "
                    "{0}.unused) and import again\n",
                    second.keyring().string(), out.string()));
  CHECK(test::read_file(second.keyring()) == before);
}

TEST_CASE("keys import refuses while the agent runs") {
  Site site;
  const auto out = site.init_and_export();
  // The running agent's hold on the data_dir, as app::DataDirLock takes it.
  const int fd =
      ::open((site.dir / "data" / "ferry.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  const auto refused = site.import_from(out);
  ::close(fd);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == fmt::format("ferry: the agent is running on {} and holds the key file in "
                                   "memory: stop it (systemctl stop ferry), import, then start it "
                                   "again\n",
                                   (site.dir / "data").string()));
}

TEST_CASE("keys rotate without a terminal needs --yes") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const std::string before = test::read_file(site.keyring());
  const auto refused = site.ferry({"keys", "rotate"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err == fmt::format("ferry keys rotate: there is no terminal to confirm on: "
                                   "run 'ferry keys rotate -c {} --yes' to make key version 2 "
                                   "active without asking\n",
                                   site.config.string()));
  CHECK(test::read_file(site.keyring()) == before);

  const auto rotated = site.ferry({"keys", "rotate", "--yes"});
  CHECK(rotated.exit_code == 0);
  CHECK_THAT(rotated.out, Catch::StartsWith("key version 2 is now active in ") &&
                              Catch::Contains("export the key file again now: ferry keys export"));
}

TEST_CASE("check warns until the key file is exported and again after a rotation") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  auto line = site.check_line("key backup");
  REQUIRE(line.is_object());
  CHECK(line.at("result") == "warn");
  CHECK_THAT(std::string(line.at("message").as_string()),
             Catch::StartsWith("the key file was never exported: run 'ferry keys export -c " +
                               site.config.string() + " --out FILE'"));
  // In text, a WARN line.
  CHECK_THAT(site.ferry({"check"}).out, Catch::Contains("\nWARN  key backup: the key file was "
                                                        "never exported"));

  REQUIRE(site.export_to(site.dir / "backup-1.json").exit_code == 0);
  line = site.check_line("key backup");
  CHECK(line.at("result") == "ok");
  CHECK_THAT(std::string(line.at("message").as_string()),
             Catch::Contains("with the active version 1"));

  REQUIRE(site.ferry({"keys", "rotate", "--yes"}).exit_code == 0);
  line = site.check_line("key backup");
  CHECK(line.at("result") == "warn");
  CHECK_THAT(std::string(line.at("message").as_string()),
             Catch::StartsWith("the active key version 2 was never exported (the last export, ") &&
                 Catch::Contains("holds version 1)"));

  REQUIRE(site.export_to(site.dir / "backup-2.json").exit_code == 0);
  CHECK(site.check_line("key backup").at("result") == "ok");
}

TEST_CASE("a restored key file counts as exported") {
  Site site;
  const auto out = site.init_and_export();
  Site restored;
  REQUIRE(restored.import_from(out).exit_code == 0);
  CHECK(restored.check_line("key backup").at("result") == "ok");
}

TEST_CASE("check warns of the key's age only past agent.key_rotation_period") {
  Site without;
  REQUIRE(without.ferry({"keys", "init"}).exit_code == 0);
  Site with("  key_rotation_period: 30d\n");
  REQUIRE(with.ferry({"keys", "init"}).exit_code == 0);
  CHECK(without.check_line("key age").is_null());  // no period, no line
  auto line = with.check_line("key age");
  REQUIRE(line.is_object());
  CHECK(line.at("result") == "ok");
  CHECK_THAT(std::string(line.at("message").as_string()),
             Catch::Contains("is 0 days old; rotation due in 30 days (agent.key_rotation_period "
                             "30d)"));
  // Made long ago.
  for (const Site* site : {&without, &with}) {
    std::string keys = test::read_file(site->keyring());
    const auto at = keys.find("\"created\": \"");
    REQUIRE(at != std::string::npos);
    keys.replace(at + 12, 20, "2020-01-01T00:00:00Z");
    site->dir.write_private("data/keyring.json", keys);
  }
  CHECK(without.check_line("key age").is_null());
  line = with.check_line("key age");
  CHECK(line.at("result") == "warn");
  CHECK_THAT(std::string(line.at("message").as_string()),
             Catch::Contains("days old, older than agent.key_rotation_period (30d): run 'ferry "
                             "keys rotate -c " +
                             with.config.string() + "'"));
}

TEST_CASE("a warning is a WARN line that does not fail the check") {
  std::ostringstream text;
  cli::CheckReport report(text, cli::CheckReport::Style::kText);
  report.ok("config", "fine");
  report.warn("key backup", "never exported");
  CHECK_FALSE(report.failed());
  CHECK(report.warnings() == 1);
  CHECK(text.str() == "OK    config: fine\nWARN  key backup: never exported\n");

  std::ostringstream json;
  cli::CheckReport json_report(json, cli::CheckReport::Style::kJson);
  json_report.warn("key backup", "never exported");
  json_report.finish();
  const auto parsed = boost::json::parse(json.str());
  CHECK(parsed.at("ok") == true);
  CHECK(parsed.at("warnings") == 1);
  CHECK(parsed.at("checks").at(0).at("result") == "warn");
}

TEST_CASE("keys export asks twice on a terminal and never shows the passphrase") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto out = site.dir / "backup.json";
  const std::string passphrase(kPassphrase);
  const auto run = run_on_terminal(site, {"keys", "export", "--out", out.string()},
                                   {{"Passphrase: ", "too short"},
                                    {"Passphrase: ", passphrase},
                                    {"The same again: ", passphrase + " typo"},
                                    {"Passphrase: ", passphrase},
                                    {"The same again: ", passphrase}});
  INFO(run.screen);
  CHECK(run.exit_code == 0);
  CHECK(contains(run.screen, "That is shorter than 12 characters; try again."));
  CHECK(contains(run.screen, "The two differ; try again."));
  CHECK(contains(run.screen, "wrote " + out.string()));
  CHECK_FALSE(contains(run.screen, passphrase));  // echo was off
  CHECK_FALSE(contains(run.screen, "too short"));

  // And import asks once.
  Site restored;
  const auto imported = run_on_terminal(restored, {"keys", "import", out.string()},
                                        {{"Passphrase of the export: ", passphrase}});
  INFO(imported.screen);
  CHECK(imported.exit_code == 0);
  CHECK(contains(imported.screen, "now holds key version 1 (active)"));
  CHECK_FALSE(contains(imported.screen, passphrase));
  CHECK(test::read_file(restored.keyring()) == test::read_file(site.keyring()));
}

TEST_CASE("keys rotate on a terminal says what will happen and asks first") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const std::string before = test::read_file(site.keyring());
  auto declined = run_on_terminal(site, {"keys", "rotate"}, {{"Rotate now? [y/N] ", "n"}});
  INFO(declined.screen);
  CHECK(declined.exit_code == 1);
  CHECK(contains(declined.screen,
                 "This makes key version 2 the active key in " + site.keyring().string()));
  CHECK(contains(declined.screen, "re-key maps"));
  CHECK(contains(declined.screen, "version 1 stays in the file"));
  CHECK(contains(declined.screen, "not rotated: key version 1 stays active"));
  CHECK(test::read_file(site.keyring()) == before);

  auto agreed = run_on_terminal(site, {"keys", "rotate"}, {{"Rotate now? [y/N] ", "yes"}});
  INFO(agreed.screen);
  CHECK(agreed.exit_code == 0);
  CHECK(contains(agreed.screen, "key version 2 is now active"));
  CHECK(test::read_file(site.keyring()) != before);
}

TEST_CASE("keys export and import have --help") {
  for (const char* command : {"export", "import"}) {
    const auto result = test::run_process({FERRY_BINARY, "keys", command, "--help"});
    INFO(command);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith(std::string("Usage: ferry keys ") + command) &&
                               Catch::Contains("--passphrase-file FILE"));
  }
}

}  // namespace
}  // namespace ferry
