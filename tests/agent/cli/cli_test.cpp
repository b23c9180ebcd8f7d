// The `ferry` binary as an admin runs it: real processes, real files, exit codes of SPEC section 1.
#include <algorithm>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/minimal_config.hpp"
#include "tests/support/process.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using test::ProcessResult;

// A data directory and a minimal valid configuration pointing at it.
struct Site {
  test::TempDir dir;
  std::filesystem::path config;

  Site() { config = dir.write("ferry.yaml", test::minimal_config(dir / "data", dir / "export")); }

  ProcessResult ferry(std::vector<std::string> args) const {
    args.insert(args.begin(), FERRY_BINARY);
    return test::run_process(args, {"FERRY_CONFIG=" + config.string()});
  }

  std::filesystem::path keyring() const { return dir / "data" / "keyring.json"; }
  std::filesystem::path audit_log() const { return dir / "data" / "audit.log"; }

  // `ferry ARGS...` with `input` on its standard input (through sh, whose printf writes it).
  ProcessResult ferry_with_input(const std::string& input, const std::string& args) const {
    const std::string script = "printf '%s' \"$INPUT\" | \"$FERRY\" " + args;
    return test::run_process({"/bin/sh", "-c", script},
                             {"FERRY_CONFIG=" + config.string(), "INPUT=" + input,
                              std::string("FERRY=") + FERRY_BINARY});
  }
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST_CASE("status --json with no agent running prints agent down and exits 1") {
  Site site;
  auto result = site.ferry({"status", "--json"});
  CHECK(result.exit_code == 1);
  boost::system::error_code ec;
  auto answer = boost::json::parse(result.out, ec);
  REQUIRE_FALSE(ec);
  CHECK(answer.at("agent") == "down");
  CHECK_THAT(std::string(answer.at("error").as_string()), Catch::Contains("no agent is running"));
  CHECK_THAT(result.err, Catch::Contains("no agent is running"));
  // Without --json, only the message.
  auto plain = site.ferry({"status"});
  CHECK(plain.exit_code == 1);
  CHECK(plain.out.empty());
}

TEST_CASE("ferry --version prints the version") {
  auto result = test::run_process({FERRY_BINARY, "--version"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "ferry " FERRY_VERSION "\n");
}

TEST_CASE("an unknown command or option is a usage error on one line") {
  auto unknown = test::run_process({FERRY_BINARY, "frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err == "ferry: unknown command 'frobnicate' (run 'ferry --help' for the list)\n");
  auto option = test::run_process({FERRY_BINARY, "validate", "--colour"});
  CHECK(option.exit_code == 2);
  CHECK(option.err == "ferry validate: unknown option '--colour' (see 'ferry validate --help')\n");
}

TEST_CASE("every command has --help with its usage and options") {
  for (const char* command :
       {"validate", "keys init", "keys rotate", "keys list", "pseudonymize", "reveal"}) {
    std::vector<std::string> args = {FERRY_BINARY};
    std::istringstream words(command);
    for (std::string word; words >> word;) args.push_back(word);
    args.push_back("--help");
    auto result = test::run_process(args);
    INFO(command);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith(std::string("Usage: ferry ") + command));
    CHECK_THAT(result.out, Catch::Contains("--config FILE"));
  }
}

TEST_CASE("validate prints ok for a valid file and notes a missing key file") {
  Site site;
  auto result = site.ferry({"validate"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "ok\n");
  CHECK_THAT(result.err, Catch::Contains("run 'ferry keys init -c "));
}

TEST_CASE("validate reports each problem as FILE:LINE:COL and exits 2") {
  test::TempDir dir;
  const auto config =
      dir.write("bad.yaml", "agent:\n  id: school-042\n  tenant: d\n  data_dri: /x\n");
  auto result = test::run_process({FERRY_BINARY, "validate", "-c", config.string()});
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  const auto reported = lines(result.err);
  REQUIRE_FALSE(reported.empty());
  for (const auto& line : reported) {
    CHECK_THAT(line, Catch::Matches(config.string() + R"(:\d+:\d+: .+)"));
  }
  CHECK_THAT(result.err, Catch::Contains(config.string() + ":4:3: unknown key 'data_dri'"));
}

TEST_CASE("validate reports at the source what its connector refuses") {
  test::TempDir dir;
  const auto config =
      dir.write("api.yaml", "agent: {id: a, tenant: t, data_dir: " + (dir / "data").string() +
                                "}\n"
                                "uplink: {enabled: false, tenant_public_key: "
                                "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n"
                                "sources:\n"
                                "  - name: lms\n"
                                "    type: canvas\n"
                                "    url: https://canvas.example.org\n"
                                "    auth: {bearer: t0ken}\n"
                                "    streams:\n"
                                "      grades: {key: id, default: keep}\n");
  auto result = test::run_process({FERRY_BINARY, "validate", "-c", config.string()});
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK_THAT(result.err, Catch::Contains(config.string() + ":4:5: source 'lms': Canvas has no "
                                                           "stream 'grades' that Ferry reads"));
}

TEST_CASE("a missing configuration file is a configuration error") {
  auto result = test::run_process({FERRY_BINARY, "validate", "-c", "/nonexistent/ferry.yaml"});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("/nonexistent/ferry.yaml"));
}

TEST_CASE("keys init creates the key file once and refuses to overwrite it") {
  Site site;
  auto first = site.ferry({"keys", "init"});
  CHECK(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("created " + site.keyring().string()));
  struct stat info {};
  REQUIRE(::stat(site.keyring().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const std::string content = test::read_file(site.keyring());

  auto second = site.ferry({"keys", "init"});
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Catch::Contains("refusing to overwrite"));
  CHECK(test::read_file(site.keyring()) == content);
}

// The package's first steps: `sudo -u ferry ferry keys init` comes before the token is in place.
TEST_CASE("keys init and keys list need no uplink token file") {
  test::TempDir dir;
  std::string config = test::minimal_config(dir / "data", dir / "export");
  const std::string off = "  enabled: false\n";
  config.replace(config.find(off), off.size(),
                 "  enabled: true\n  url: wss://127.0.0.1:9/v1/agent\n  token_file: " +
                     (dir / "token-not-there-yet").string() + "\n");
  const auto path = dir.write("ferry.yaml", config);
  const auto init = test::run_process({FERRY_BINARY, "keys", "init", "-c", path.string()});
  INFO(init.err);
  CHECK(init.exit_code == 0);
  CHECK(test::run_process({FERRY_BINARY, "keys", "list", "-c", path.string()}).exit_code == 0);
  // What needs the token still says it is missing.
  const auto validate = test::run_process({FERRY_BINARY, "validate", "-c", path.string()});
  CHECK(validate.exit_code == 2);
  CHECK_THAT(validate.err, Catch::Contains("token-not-there-yet"));
}

// `sudo ferry keys init` on the package's /var/lib/ferry (owned by ferry) would leave a key file
// the agent cannot read: refused, with the sudo -u line that works.
TEST_CASE("as root, commands that write the service account's data_dir are refused") {
  if (::geteuid() != 0) FERRY_SKIP("needs root, to give the data_dir to another account");
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto data = site.dir / "data";
  std::vector<std::filesystem::path> before;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data)) {
    REQUIRE(::chown(entry.path().c_str(), 65534, 65534) == 0);
    before.push_back(entry.path());
  }
  REQUIRE(::chown(data.c_str(), 65534, 65534) == 0);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"keys", "init"},
                                               {"keys", "rotate"},
                                               {"run"},
                                               {"sync", "--no-upload"},
                                               {"erase", "--domain", "person", "someone"}}) {
    const auto refused = site.ferry(args);
    INFO(args[0] << ": " << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("belongs to nobody (uid 65534), the account the "
                                            "agent runs as") &&
                                Catch::Contains("sudo -u nobody ferry " + args[0]));
  }
  // Nothing was written there as root: the same files, all still the service account's.
  std::vector<std::filesystem::path> after;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data)) {
    struct stat info {};
    REQUIRE(::stat(entry.path().c_str(), &info) == 0);
    CHECK(info.st_uid == 65534);
    after.push_back(entry.path());
  }
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  CHECK(after == before);
}

TEST_CASE("validate refuses a world-readable key file and names the chmod fix") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  ::chmod(site.keyring().c_str(), 0644);
  auto result = site.ferry({"validate"});
  CHECK(result.exit_code == 2);
  CHECK(result.err ==
        fmt::format("{}:4:13: {} is readable by others (mode 0644): run chmod 600 {}\n",
                    site.config.string(), site.keyring().string(), site.keyring().string()));
  auto pseudonymize = site.ferry({"pseudonymize", "--domain", "user", "x"});
  CHECK(pseudonymize.exit_code == 1);
  CHECK_THAT(pseudonymize.err, Catch::Contains("chmod 600"));
}

TEST_CASE("keys list shows versions and never a secret") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "rotate", "--yes"}).exit_code == 0);
  auto result = site.ferry({"keys", "list"});
  CHECK(result.exit_code == 0);
  const auto shown = lines(result.out);
  REQUIRE(shown.size() == 3);
  CHECK_THAT(shown[0], Catch::StartsWith("VERSION"));
  CHECK_THAT(shown[1], Catch::Matches(R"(1 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ *)"));
  CHECK_THAT(shown[2], Catch::Matches(R"(2 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +yes)"));
  // Every secret in the file, and any long base64 run, is absent from what was printed.
  const std::string keyring = test::read_file(site.keyring());
  std::size_t at = 0;
  int secrets = 0;
  while ((at = keyring.find("\"secret\": \"", at)) != std::string::npos) {
    at += 11;
    const std::string secret = keyring.substr(at, keyring.find('"', at) - at);
    CHECK(result.out.find(secret) == std::string::npos);
    CHECK(result.err.find(secret) == std::string::npos);
    CHECK(result.out.find(secret.substr(0, 12)) == std::string::npos);
    ++secrets;
  }
  CHECK(secrets == 2);
}

TEST_CASE("pseudonymize is deterministic across processes and reveal returns the value") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  auto first = site.ferry({"pseudonymize", "--domain", "user", "st-000123", " st-000123 ", ""});
  auto second = site.ferry({"pseudonymize", "-d", "user", "st-000123"});
  REQUIRE(first.exit_code == 0);
  const auto tokens = lines(first.out);
  REQUIRE(tokens.size() == 3);
  CHECK_THAT(tokens[0], Catch::Matches(R"(p1\.[A-Za-z0-9_-]{34})"));  // 16 + 9 bytes
  CHECK(tokens[1] == tokens[0]);                                      // trimmed first
  CHECK(tokens[2].empty());  // an empty value makes no token
  CHECK(second.out == tokens[0] + "\n");

  auto other_domain = site.ferry({"pseudonymize", "--domain", "name", "st-000123"});
  CHECK(other_domain.out != second.out);

  auto revealed = site.ferry({"reveal", "--domain", "user", tokens[0]});
  CHECK(revealed.exit_code == 0);
  CHECK(revealed.out == "st-000123\n");
}

TEST_CASE("pseudonymize and reveal read values from standard input with -") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto made = site.ferry_with_input("st-000123\r\nst-000456\n", "pseudonymize -d user -");
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const auto tokens = lines(made.out);
  REQUIRE(tokens.size() == 2);
  CHECK(site.ferry({"pseudonymize", "-d", "user", "st-000123"}).out == tokens[0] + "\n");
  const auto revealed =
      site.ferry_with_input(tokens[0] + "\n" + tokens[1] + "\n", "reveal -d user -");
  INFO(revealed.err);
  CHECK(revealed.exit_code == 0);
  CHECK(revealed.out == "st-000123\nst-000456\n");
}

TEST_CASE("every use of pseudonymize and reveal is audited, without values or tokens") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto made = site.ferry({"pseudonymize", "-d", "user", "st-000777", "st-000778"});
  REQUIRE(made.exit_code == 0);
  const auto tokens = lines(made.out);
  REQUIRE(site.ferry({"reveal", "-d", "user", tokens[0]}).exit_code == 0);
  const std::string audit = test::read_file(site.audit_log());
  const std::string uid = fmt::format("\"uid\":{}", ::getuid());
  CHECK_THAT(audit, Catch::Contains(R"("event":"values_pseudonymized")") &&
                        Catch::Contains(R"("domain":"user","count":2)") &&
                        Catch::Contains(R"("event":"tokens_revealed")") &&
                        Catch::Contains(R"("count":1,"revealed":1)") && Catch::Contains(uid));
  for (const auto& secret : {std::string("st-000777"), std::string("st-000778"), tokens[0]}) {
    CHECK(audit.find(secret) == std::string::npos);
  }
}

TEST_CASE("reveal prints nothing when the audit log cannot record the use") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto token = lines(site.ferry({"pseudonymize", "-d", "user", "st-1"}).out)[0];
  // A folder where the log file should be: no user, root included, can append to it.
  std::filesystem::remove(site.audit_log());
  std::filesystem::create_directory(site.audit_log());
  const auto revealed = site.ferry({"reveal", "-d", "user", token});
  CHECK(revealed.exit_code == 1);
  CHECK(revealed.out.empty());
  CHECK_THAT(revealed.err, Catch::Contains("the audit log cannot record this use") &&
                               Catch::Contains("so nothing is printed"));
}

TEST_CASE("after keys rotate new tokens carry the new version and old tokens still reveal") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const std::string old_token = lines(site.ferry({"pseudonymize", "-d", "user", "ana"}).out)[0];
  auto rotated = site.ferry({"keys", "rotate", "--yes"});
  CHECK(rotated.exit_code == 0);
  CHECK_THAT(rotated.out, Catch::StartsWith("key version 2 is now active"));
  const std::string new_token = lines(site.ferry({"pseudonymize", "-d", "user", "ana"}).out)[0];
  CHECK_THAT(old_token, Catch::StartsWith("p1."));
  CHECK_THAT(new_token, Catch::StartsWith("p2."));
  auto revealed = site.ferry({"reveal", "-d", "user", old_token, new_token});
  CHECK(revealed.exit_code == 0);
  CHECK(revealed.out == "ana\nana\n");
}

TEST_CASE("hash tokens are printed with --hash and lower-casing on request") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  auto a =
      site.ferry({"pseudonymize", "-d", "email", "--hash", "--normalize", "lower", "Ana@X.org"});
  auto b = site.ferry({"pseudonymize", "-d", "email", "--hash", "ana@x.org"});
  CHECK(a.exit_code == 0);
  CHECK_THAT(a.out, Catch::Matches(R"(h1\.[A-Za-z0-9_-]{43}\n)"));
  CHECK(a.out == b.out);
  auto reveal = site.ferry({"reveal", "-d", "email", lines(a.out)[0]});
  CHECK(reveal.exit_code == 1);
  CHECK_THAT(reveal.err, Catch::Contains("one-way hash token"));
}

TEST_CASE("reveal prints nothing unless every token reveals") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const std::string token = lines(site.ferry({"pseudonymize", "-d", "user", "ana"}).out)[0];
  auto wrong_domain = site.ferry({"reveal", "-d", "name", token});
  CHECK(wrong_domain.exit_code == 1);
  CHECK(wrong_domain.out.empty());
  CHECK_THAT(wrong_domain.err, Catch::Contains("cannot reveal"));

  auto mixed =
      site.ferry({"reveal", "-d", "user", token, "p1.garbage!", "p9.AAAAAAAAAAAAAAAAAAAAAAAA"});
  CHECK(mixed.exit_code == 1);
  CHECK(mixed.out.empty());
  CHECK(lines(mixed.err).size() == 2);
  CHECK_THAT(mixed.err, Catch::Contains("key version 9"));
}

TEST_CASE("sync and preview name an unknown source, sync with the uplink off only spools") {
  Site site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  auto unknown = site.ferry({"sync", "--no-upload", "--source", "lunch"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no source named 'lunch'"));
  auto upload = site.ferry({"sync"});
  CHECK_THAT(upload.err,
             Catch::Contains("uplink.enabled is false: the rows are spooled and nothing is sent"));
  // One source: --source may be left out; an unknown one is named with the known ones.
  auto preview = site.ferry({"preview", "--source", "lunch"});
  CHECK(preview.exit_code == 2);
  CHECK_THAT(preview.err,
             Catch::Contains("no source named 'lunch'") && Catch::Contains("(its sources: sis)"));
  auto only = site.ferry({"preview"});
  CHECK_THAT(only.err, !Catch::Contains("--source NAME is required"));
  auto missing_export = site.ferry({"sync", "--no-upload"});
  CHECK(missing_export.exit_code == 1);
  CHECK_THAT(missing_export.err, Catch::Contains("source 'sis'"));
}

TEST_CASE("token commands check their arguments before touching keys") {
  Site site;
  auto no_domain = site.ferry({"pseudonymize", "x"});
  CHECK(no_domain.exit_code == 2);
  CHECK(no_domain.err == "ferry pseudonymize: --domain is required\n");
  auto bad_domain = site.ferry({"pseudonymize", "--domain", "User Names", "x"});
  CHECK(bad_domain.exit_code == 2);
  auto no_values = site.ferry({"reveal", "--domain", "user"});
  CHECK(no_values.exit_code == 2);
  auto no_keys = site.ferry({"pseudonymize", "--domain", "user", "x"});
  CHECK(no_keys.exit_code == 1);
  CHECK_THAT(no_keys.err, Catch::Contains("run 'ferry keys init"));
}

}  // namespace
}  // namespace ferry
