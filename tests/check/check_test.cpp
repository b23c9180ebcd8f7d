// `ferry check` against a real ferry-tenant on 127.0.0.1: every line OK when all is well, and the
// broken part named, with its fix, when one is broken.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/netfault/wait_until.hpp"
#include "tests/support/connect_proxy.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/unprivileged.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;

constexpr long kDay = 24L * 3600;

// The spool limit of the test configuration: small, so that the free-space check passes on any
// machine that has the 100 MiB it asks for anyway.
const AgentConfig kSmallSpool{.spool = "  max_bytes: 64MiB\n"};

AgentConfig agent_config(std::uint16_t port, std::string uplink_extra = "") {
  AgentConfig config = kSmallSpool;
  config.port = port;
  config.uplink_extra = std::move(uplink_extra);
  return config;
}

// The line `ferry check` printed for check `name` ("tcp", "source sis"), or "" when none.
std::string line_of(std::string_view out, std::string_view name) {
  const std::string label = fmt::format(" {}: ", name);
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\n', start);
    if (end == std::string_view::npos) end = out.size();
    const auto line = out.substr(start, end - start);
    const auto at = line.find(label);
    // The label follows the status word and its padding: "OK    tcp: ...", "FAIL  tcp: ...".
    if (at != std::string_view::npos && line.find_first_not_of(' ', 4) == at + 1) {
      return std::string(line);
    }
    start = end + 1;
  }
  return "";
}

ProcessResult check(const UplinkSite& site, std::vector<std::string> args = {}) {
  args.insert(args.begin(), "check");
  return site.ferry(args);
}

// Nothing printed carries the agent token (nor `secret`, when given).
void check_no_secret(const ProcessResult& result, std::string_view secret = kToken) {
  CHECK_THAT(result.out, !Contains(std::string(secret)));
  CHECK_THAT(result.err, !Contains(std::string(secret)));
}

void check_status(const ProcessResult& result, std::string_view name, std::string_view status) {
  INFO("check " << name);
  CHECK_THAT(line_of(result.out, name), StartsWith(std::string(status)));
}

// Writes a server certificate made with `options` as pki/other.pem and pki/other.key.
fs::path other_cert(const UplinkSite& site, const pki::CertOptions& options) {
  auto issued = pki::issue(site.ca(), options);
  REQUIRE(issued);
  return site.write_cert("other", *issued);
}

// A site whose tenant runs with a certificate made from `cert` (default: the site's own).
struct CheckedSite {
  explicit CheckedSite(std::optional<pki::CertOptions> cert = std::nullopt)
      : tenant(site, {}, cert ? other_cert(site, *cert) : fs::path(),
               cert ? site.dir() / "pki/other.key" : fs::path()) {
    tenant.start();
    site.configure(agent_config(tenant.port()));
  }
  UplinkSite site{20};
  TenantProcess tenant;
};

TEST_CASE("ferry check passes every check against a healthy tenant", "[check]") {
  CheckedSite checked;
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  for (const char* name : {"config", "data dir", "key file", "control socket", "source sis", "dns",
                           "tcp", "tls", "token"}) {
    check_status(result, name, "OK    ");
  }
  CHECK_THAT(result.out, !Contains("FAIL"));
  CHECK_THAT(line_of(result.out, "tls"), Contains("TLSv1.3"));
  CHECK_THAT(line_of(result.out, "tls"), Contains("expires in 364 days"));
  CHECK_THAT(line_of(result.out, "token"), Contains("accepted the token for agent school-042"));
  check_no_secret(result);
  // The check says goodbye properly: a normal close, no batch.
  const bool closed =
      wait_until([&] { return checked.tenant.log().find("code=1000") != std::string::npos; }, 10s);
  INFO(checked.tenant.log());
  CHECK(closed);
  CHECK(checked.site.stored_bytes() == 0);
}

TEST_CASE("ferry check --json prints one object with every check", "[check]") {
  CheckedSite checked;
  const auto result = check(checked.site, {"--json"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  const auto report = boost::json::parse(result.out).as_object();
  CHECK(report.at("ok").as_bool());
  const auto& checks = report.at("checks").as_array();
  CHECK(checks.size() == 10);
  CHECK(report.at("warnings") == 1);
  for (const auto& entry : checks) {
    INFO(boost::json::serialize(entry));
    // The site's new key file has no export yet: a warning, which does not fail the check.
    CHECK(entry.at("result").as_string() == (entry.at("check") == "key backup" ? "warn" : "ok"));
  }
}

TEST_CASE("ferry check names TCP when no tenant listens", "[check]") {
  UplinkSite site(20);
  TcpProxy nothing_listens;  // holds a port and refuses every connection
  site.configure(agent_config(nothing_listens.port()));
  const auto result = check(site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "dns", "OK    ");
  check_status(result, "tcp", "FAIL  ");
  CHECK_THAT(line_of(result.out, "tcp"),
             Contains(fmt::format("cannot connect to 127.0.0.1:{}", nothing_listens.port())));
  CHECK_THAT(line_of(result.out, "tcp"), Contains("is the tenant running"));
  check_status(result, "tls", "SKIP  ");
  check_status(result, "token", "SKIP  ");
  // The local checks still ran.
  check_status(result, "key file", "OK    ");
  check_status(result, "source sis", "OK    ");
}

TEST_CASE("ferry check names the token the tenant refuses", "[check]") {
  CheckedSite checked;
  const std::string wrong = "wrong-token-9d1e";
  AgentConfig config = agent_config(checked.tenant.port());
  config.token = wrong;
  checked.site.configure(config);
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "tls", "OK    ");
  check_status(result, "token", "FAIL  ");
  CHECK_THAT(line_of(result.out, "token"), Contains("rejected the agent token (HTTP 401)"));
  CHECK_THAT(line_of(result.out, "token"), Contains("uplink.token"));
  check_no_secret(result, wrong);
}

TEST_CASE("ferry check names a token issued for another agent", "[check]") {
  UplinkSite site(20);
  site.dir().write("tokens", fmt::format("{} {} {}\nother-agent {} other-token-77ab\n", kAgentId,
                                         kTenantId, kToken, kTenantId));
  TenantProcess tenant(site);
  tenant.start();
  AgentConfig config = agent_config(tenant.port());
  config.token = "other-token-77ab";
  site.configure(config);
  const auto result = check(site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "token", "FAIL  ");
  CHECK_THAT(line_of(result.out, "token"), Contains("issued for another agent"));
  CHECK_THAT(line_of(result.out, "token"), Contains("agent.id"));
  check_no_secret(result, "other-token-77ab");
}

TEST_CASE("ferry check names an expired tenant certificate", "[check]") {
  pki::CertOptions expired;
  expired.not_before_s = -30 * kDay;
  expired.not_after_s = -3 * kDay - 60;
  CheckedSite checked(expired);
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "tcp", "OK    ");
  check_status(result, "tls", "FAIL  ");
  const auto tls = line_of(result.out, "tls");
  CHECK_THAT(tls, Contains("certificate"));
  CHECK_THAT(tls, Contains("expired 3 days ago"));
  CHECK_THAT(tls, Contains("renew"));
  check_status(result, "token", "SKIP  ");
}

TEST_CASE("ferry check names a certificate from a CA it does not trust", "[check]") {
  CheckedSite checked;
  auto other_ca = pki::make_ca("Some other CA");
  REQUIRE(other_ca);
  AgentConfig config = agent_config(checked.tenant.port());
  config.ca_file = checked.site.dir().write("other-ca.pem", other_ca->cert_pem);
  checked.site.configure(config);
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "tls", "FAIL  ");
  CHECK_THAT(line_of(result.out, "tls"),
             Contains("does not chain to a trusted CA in uplink.ca_file " + config.ca_file->string()) &&
                 Contains("it is issued by CN="));
  check_status(result, "token", "SKIP  ");
}

TEST_CASE("a ca_file that holds no certificate is a configuration error in every command",
          "[check]") {
  UplinkSite site(20);
  TcpProxy nothing_listens;  // holds a port and refuses every connection
  AgentConfig config = agent_config(nothing_listens.port());
  site.configure(config);  // the key file is made with a valid configuration
  const auto bad = site.dir().write("not-a-ca.pem", "this is not a certificate\n");
  config.ca_file = bad;
  site.configure(config);
  // The same problem, the same exit code (2) and the same message naming the file, whichever
  // command meets it: found when the file is read, not first when the agent connects.
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"validate"}, {"check"}, {"run"}, {"sync"}}) {
    const auto result = site.ferry(command);
    INFO(command.front() << ": " << result.out << result.err);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.out + result.err,
               Contains("uplink.ca_file: " + bad.string() + " holds no PEM certificate"));
  }
}

TEST_CASE("ferry check warns of a certificate that expires soon but passes", "[check]") {
  pki::CertOptions soon;
  soon.not_after_s = 10 * kDay + 3600;
  CheckedSite checked(soon);
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  check_status(result, "tls", "OK    ");
  CHECK_THAT(line_of(result.out, "tls"), Contains("expires in 10 days"));
  CHECK_THAT(line_of(result.out, "tls"), Contains("renew it soon"));
}

// The source line fails and names the export path; the rest of the checks still run.
void check_source_fails(const UplinkSite& site, const ProcessResult& result) {
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "source sis", "FAIL  ");
  CHECK_THAT(line_of(result.out, "source sis"), Contains(site.export_dir().string()));
  check_status(result, "token", "OK    ");
}

TEST_CASE("ferry check names an export folder it cannot read", "[check]") {
  FERRY_RUN_UNPRIVILEGED();  // root reads a folder whatever its mode
  CheckedSite checked;
  const auto& site = checked.site;
  fs::permissions(site.export_dir(), fs::perms::none, fs::perm_options::replace);
  const auto result = check(site);
  fs::permissions(site.export_dir(), fs::perms::owner_all, fs::perm_options::replace);
  check_source_fails(site, result);
}

TEST_CASE("ferry check names an export path that is a file, not a folder", "[check]") {
  CheckedSite checked;
  const auto& site = checked.site;
  fs::rename(site.export_dir(), site.dir() / "export.moved");
  site.dir().write("export", "not a folder\n");
  check_source_fails(site, check(site));
}

TEST_CASE("ferry check names a world-readable key file and the chmod that fixes it", "[check]") {
  CheckedSite checked;
  const auto keyring = checked.site.data_dir() / "keyring.json";
  fs::permissions(keyring, fs::perms::others_read | fs::perms::group_read, fs::perm_options::add);
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "key file", "FAIL  ");
  CHECK_THAT(line_of(result.out, "key file"),
             Contains(fmt::format("run chmod 600 {}", keyring.string())));
  check_status(result, "token", "OK    ");
}

TEST_CASE("ferry check fails a data_dir that its group or others may read", "[check]") {
  CheckedSite checked;
  const auto data_dir = checked.site.data_dir();
  fs::permissions(data_dir, fs::perms::group_read | fs::perms::group_exec, fs::perm_options::add);
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "data dir", "FAIL  ");
  CHECK_THAT(line_of(result.out, "data dir"),
             Contains(fmt::format("{} is readable by its group or others (mode 0750): run chmod "
                                  "700 {}",
                                  data_dir.string(), data_dir.string())));
}

TEST_CASE("a control_socket in a folder anyone may write is refused by check validate and run",
          "[check]") {
  CheckedSite checked;
  auto& site = checked.site;
  const auto shared = site.dir() / "shared";
  fs::create_directory(shared);
  fs::permissions(shared, fs::perms::all | fs::perms::sticky_bit);  // as /tmp is
  const auto socket = shared / "control.sock";
  AgentConfig config = agent_config(checked.tenant.port());
  config.agent_extra = fmt::format("  control_socket: {}\n", socket.string());
  site.configure(config);
  const std::string problem = fmt::format(
      "agent.control_socket {} is in {}, a folder its group and others may write to (mode 1777)",
      socket.string(), shared.string());

  const auto result = check(site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "control socket", "FAIL  ");
  CHECK_THAT(line_of(result.out, "control socket"), Contains(problem));

  // validate names the line of agent.control_socket.
  const auto validated = site.ferry({"validate"});
  INFO(validated.out << validated.err);
  CHECK(validated.exit_code == 2);
  CHECK_THAT(validated.err, StartsWith(site.config().string() + ":6:19: " + problem));

  // The agent does not start.
  ChildProcess run = site.start_run();
  const auto code = run.wait_for(30s);
  INFO("ferry run: " << site.run_output());
  CHECK(code.has_value());
  CHECK(code != std::optional<int>(0));
  CHECK_THAT(site.run_output(), Contains(problem));
  CHECK_FALSE(fs::exists(socket));
}

TEST_CASE("ferry check goes through the HTTP CONNECT proxy", "[check][proxy]") {
  CheckedSite checked;
  ConnectProxy proxy("ferry:pr0xy-pass");
  checked.site.configure(
      agent_config(checked.tenant.port(),
                   fmt::format("  proxy: http://ferry:pr0xy-pass@127.0.0.1:{}\n", proxy.port())));
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  for (const char* name : {"dns", "tcp", "proxy", "tls", "token"}) check_status(result, name, "OK");
  CHECK_THAT(line_of(result.out, "proxy"),
             Contains(fmt::format("opened a tunnel to 127.0.0.1:{}", checked.tenant.port())));
  CHECK(proxy.connects_ok() == 1);
  check_no_secret(result);
  check_no_secret(result, "pr0xy-pass");
}

TEST_CASE("ferry check names a proxy that refuses the credentials", "[check][proxy]") {
  CheckedSite checked;
  ConnectProxy proxy("ferry:pr0xy-pass");
  checked.site.configure(
      agent_config(checked.tenant.port(),
                   fmt::format("  proxy: http://ferry:wr0ng-pass@127.0.0.1:{}\n", proxy.port())));
  const auto result = check(checked.site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  check_status(result, "tcp", "OK    ");
  check_status(result, "proxy", "FAIL  ");
  CHECK_THAT(line_of(result.out, "proxy"), Contains("HTTP 407"));
  check_status(result, "tls", "SKIP  ");
  check_no_secret(result, "wr0ng-pass");
}

TEST_CASE("ferry check skips the uplink when it is disabled", "[check]") {
  UplinkSite site(20);
  TcpProxy nothing_listens;  // never dialled: the uplink is off
  site.configure(agent_config(nothing_listens.port(), "  enabled: false\n"));
  const auto result = check(site);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  check_status(result, "uplink", "SKIP  ");
  CHECK_THAT(line_of(result.out, "uplink"), Contains("uplink.enabled is false"));
  CHECK(line_of(result.out, "tcp").empty());
}

TEST_CASE("ferry check stops at a configuration that is not valid, with exit 2", "[check]") {
  UplinkSite site(20);
  const auto bad = site.dir().write("bad.yaml", "agent:\n  id: school-042\n  tenent: x\n");
  const auto result = run_process({FERRY_BINARY, "check", "-c", bad.string()});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.out, StartsWith(fmt::format("FAIL  config: {}:", bad.string())));
  CHECK_THAT(result.out, Contains(fmt::format("{}:3:3:", bad.string())));
  CHECK(line_of(result.out, "tcp").empty());
}

}  // namespace
}  // namespace ferry::test
