// A real `ferry run` driven through its control socket and signals: `ferry status --json` tells
// the truth while the tenant is up, down and back; `sync_now` over the socket starts a run;
// `reload` (and SIGHUP) apply a changed configuration, and a broken one is refused while the
// running one stays. Requests that act record who asked in the audit log; a member of the
// socket's group runs `ferry status` without the agent's secrets, and anyone else is refused.
#include <chrono>
#include <csignal>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/control/control_client.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/local_http.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

std::filesystem::path socket_of(const UplinkSite& site) { return site.data_dir() / "control.sock"; }

// `ferry status --json`, parsed; an empty object when it fails.
boost::json::object status(const UplinkSite& site) {
  auto shown = site.ferry({"status", "--json"});
  if (shown.exit_code != 0) return {};
  boost::system::error_code ec;
  auto value = boost::json::parse(shown.out, ec);
  return !ec && value.is_object() ? value.as_object() : boost::json::object{};
}

std::string uplink_state(const boost::json::object& status) {
  const auto* uplink = status.if_contains("uplink");
  if (uplink == nullptr || !uplink->is_object()) return "";
  const auto* state = uplink->as_object().if_contains("state");
  return state != nullptr && state->is_string() ? std::string(state->as_string()) : "";
}

// Whether the status shows the first source's first run ended.
bool first_run_ended(const boost::json::object& status) {
  const auto* sources = status.if_contains("sources");
  if (sources == nullptr || !sources->is_array() || sources->as_array().empty()) return false;
  const auto& first = sources->as_array().at(0);
  const auto* runs = first.is_object() ? first.as_object().if_contains("runs") : nullptr;
  return runs != nullptr && runs->is_number() && runs->to_number<std::uint64_t>() >= 1;
}

// A group made for one test (groupadd) with `user` in it (gpasswd -a), removed again (groupdel).
class TempGroup {
 public:
  explicit TempGroup(const std::string& user) : name_(fmt::format("ferryt{}", ::getpid())) {
    auto added = run_process({"/usr/sbin/groupadd", name_});
    INFO("groupadd " << name_ << ": " << added.out << added.err);
    REQUIRE(added.exit_code == 0);
    created_ = true;
    auto joined = run_process({"/usr/bin/gpasswd", "-a", user, name_});
    INFO("gpasswd -a " << user << " " << name_ << ": " << joined.out << joined.err);
    REQUIRE(joined.exit_code == 0);
    const group* entry = ::getgrnam(name_.c_str());
    REQUIRE(entry != nullptr);
    gid_ = entry->gr_gid;
  }
  ~TempGroup() {
    if (created_) run_process({"/usr/sbin/groupdel", name_});
  }
  TempGroup(const TempGroup&) = delete;
  TempGroup& operator=(const TempGroup&) = delete;

  const std::string& name() const { return name_; }
  gid_t gid() const { return gid_; }

 private:
  std::string name_;
  gid_t gid_ = 0;
  bool created_ = false;
};

struct User {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

User user_named(const char* name) {
  const passwd* entry = ::getpwnam(name);
  INFO("user " << name);
  REQUIRE(entry != nullptr);
  return {entry->pw_name, entry->pw_uid, entry->pw_gid};
}

boost::json::object request(const UplinkSite& site, const std::string& line) {
  auto answer = control::request(socket_of(site), line, 90s);
  REQUIRE(answer);
  auto value = boost::json::parse(*answer);
  REQUIRE(value.is_object());
  return value.as_object();
}

TEST_CASE("status --json tells the truth while the tenant is up, down and back",
          "[uplink][control]") {
  UplinkSite site(30);
  TenantProcess tenant(site);
  tenant.start();
  // The agent's address for the tenant, kept across the restart (which is on a new port).
  TcpProxy front(tenant.port());
  site.configure({.port = front.port()});
  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());

  boost::json::object shown;
  REQUIRE(wait_until(
      [&] {
        shown = status(site);
        // One answer, checked as a whole: the agent's own spool count, not a later look, once
        // the first run has ended (until then an empty spool may fill again).
        const auto* spool = shown.if_contains("spool");
        return (uplink_state(shown) == "connected" && spool != nullptr &&
                spool->as_object().at("batches") == 0 && first_run_ended(shown) &&
                site.stored_lines() > 0) ||
               !run.running();
      },
      30s));
  INFO(boost::json::serialize(shown));
  for (const char* key : {"agent_id", "tenant_id", "version", "pid", "uptime_s", "uplink", "spool",
                          "sources", "keys"}) {
    CHECK(shown.contains(key));
  }
  const auto& uplink = shown.at("uplink").as_object();
  CHECK(uplink.at("tls_version") == "TLSv1.3");
  CHECK(uplink.at("acked_through").to_number<std::uint64_t>() > 0);
  CHECK(uplink.at("last_error").is_null());
  const auto& spool = shown.at("spool").as_object();
  CHECK(spool.at("batches") == 0);
  CHECK(spool.at("rejected") == 0);
  const auto& source = shown.at("sources").as_array().at(0).as_object();
  CHECK(source.at("name") == "sis");
  CHECK(source.at("type") == "oneroster_csv");
  CHECK(source.at("last_success_at").is_string());
  CHECK(source.at("rows_last_run").to_number<std::uint64_t>() > 0);
  CHECK(shown.at("keys").as_object().at("active_version") == 1);

  tenant.kill();
  front.set_mode(TcpProxy::Mode::kRefuse);  // nothing reaches the dead tenant's port
  REQUIRE(wait_until(
      [&] {
        shown = status(site);
        const auto state = uplink_state(shown);
        return ((state == "backoff" || state == "connecting") &&
                shown.at("uplink").as_object().at("last_error").is_string()) ||
               !run.running();
      },
      30s));
  CHECK(shown.at("uplink").as_object().at("tls_version").is_null());

  // Back: connected, and the tenant's `welcome` clears the last error.
  tenant.start();
  front.forward_to(tenant.port());
  front.set_mode(TcpProxy::Mode::kForward);
  REQUIRE(wait_until(
      [&] {
        shown = status(site);
        return (uplink_state(shown) == "connected" &&
                shown.at("uplink").as_object().at("last_error").is_null()) ||
               !run.running();
      },
      30s));
  CHECK(uplink_state(shown) == "connected");
  site.stop_run(run);
  // With no agent, status says so and fails.
  auto after = site.ferry({"status"});
  CHECK(after.exit_code == 1);
  CHECK_THAT(after.err, Contains("no agent is running"));
}

TEST_CASE(
    "a member of the socket's group runs ferry status without the secrets and others are refused",
    "[uplink][control]") {
  if (::geteuid() != 0) {
    FERRY_SKIP(
        "needs root to run ferry status as user nobody (setpriv) and to make a group for "
        "it (groupadd)");
  }
  const User nobody = user_named("nobody");
  const User outside = user_named("daemon");  // in no group of this test
  TempGroup members(nobody.name);
  UplinkSite site(20);
  TcpProxy nothing_listens;  // holds a port and refuses every connection
  // The token in a file only root may read; the key file is root's (0600, in a data_dir of 0700).
  const auto token_file = site.dir().write("token", std::string(kToken) + "\n");
  REQUIRE(::chmod(token_file.c_str(), 0600) == 0);
  // The socket in a folder of its own, setgid to the group: the socket file gets that group.
  const auto run_dir = site.dir() / "run";
  std::filesystem::create_directory(run_dir);
  REQUIRE(::chown(run_dir.c_str(), 0, members.gid()) == 0);
  REQUIRE(::chmod(run_dir.c_str(), 02750) == 0);
  const auto socket = run_dir / "control.sock";
  site.configure({.port = nothing_listens.port(),
                  .token_file = token_file,
                  .agent_extra = fmt::format("  control_socket: {}\n", socket.string())});
  // Others may pass through the site's folder and read ferry.yaml (which holds no secret).
  REQUIRE(::chmod(site.dir().path().c_str(), 0711) == 0);
  REQUIRE(::chmod(site.config().c_str(), 0644) == 0);
  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());
  REQUIRE(wait_until([&] { return site.ferry({"status"}).exit_code == 0 || !run.running(); }, 30s,
                     100ms));
  REQUIRE(run.running());
  struct stat info {};
  REQUIRE(::stat(socket.c_str(), &info) == 0);
  REQUIRE(info.st_gid == members.gid());

  // `ferry status --json` as `user` (setpriv): its groups as the group database lists them.
  const auto status_as = [&](const User& user) {
    std::vector<std::string> argv = {"/usr/bin/setpriv", fmt::format("--reuid={}", user.uid),
                                     fmt::format("--regid={}", user.gid), "--init-groups", "--"};
    for (auto& arg : site.ferry_argv({"status", "--json"})) argv.push_back(std::move(arg));
    auto shown = run_process(argv);
    INFO("setpriv cannot start ferry as " << user.name
                                          << " (126 or 127) when a folder above it is closed to "
                                             "others");
    CHECK(shown.exit_code != 126);
    CHECK(shown.exit_code != 127);
    return shown;
  };
  auto member = status_as(nobody);
  INFO(member.out << member.err);
  CHECK(member.exit_code == 0);
  CHECK_THAT(member.out, Contains(fmt::format("\"agent_id\":\"{}\"", kAgentId)));

  // Someone outside the group (user daemon), let through by the file modes (an admin opened them
  // too wide), is refused by the agent and told how to get in.
  REQUIRE(::chmod(run_dir.c_str(), 02751) == 0);
  REQUIRE(::chmod(socket.c_str(), 0666) == 0);
  auto outsider = status_as(outside);
  INFO(outsider.out << outsider.err);
  CHECK(outsider.exit_code == 1);
  // A running agent that refuses this user is not reported as stopped.
  CHECK_THAT(outsider.out, Contains("\"agent\":\"unreachable\""));
  CHECK_THAT(outsider.err,
             Contains(fmt::format("user daemon (uid {}) may not use this agent's control socket",
                                  outside.uid)) &&
                 Contains(fmt::format("usermod -aG {} daemon", members.name())));
  CHECK(wait_until(
      [&] {
        return site.logged(
            fmt::format("control socket refused a connection uid={} user=daemon", outside.uid));
      },
      10s));
  site.stop_run(run);
}

TEST_CASE("sync_now over the control socket starts a run", "[uplink][control]") {
  UplinkSite site(20);
  TcpProxy nothing_listens;  // holds a port and refuses every connection
  site.configure({.port = nothing_listens.port()});
  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());
  REQUIRE(
      wait_until([&] { return site.runs_of("sis") >= 1 || !run.running(); }, 30s, 100ms));
  auto answer = request(site, R"({"cmd":"sync_now","source":"sis"})");
  CHECK(answer.at("ok") == true);
  CHECK(wait_until([&] { return site.runs_of("sis") >= 2; }, 30s, 100ms));
  auto unknown = request(site, R"({"cmd":"sync_now","source":"nope"})");
  CHECK(unknown.at("ok") == false);
  CHECK_THAT(std::string(unknown.at("error").as_string()), Contains("no source named 'nope'"));
  site.stop_run(run);
  // Who asked is on record: the uid the kernel reported for this process.
  const auto asked = audit_entries(site, "sync_requested");
  REQUIRE(asked.size() == 2);
  CHECK(asked[0].at("uid") == ::getuid());
  CHECK(asked[0].at("sources") == boost::json::array{"sis"});
  CHECK(asked[0].at("wait") == false);
}

TEST_CASE("the metrics endpoint of a running agent is scraped over HTTP", "[uplink][control]") {
  UplinkSite site(20);
  TenantProcess tenant(site);
  tenant.start();
  site.configure({.port = tenant.port()});
  const auto port = free_loopback_port();
  REQUIRE(port != 0);
  std::string config = read_file(site.config());
  const auto data_dir_line = config.find("  data_dir:");
  config.insert(data_dir_line, fmt::format("  metrics: 127.0.0.1:{}\n", port));
  site.dir().write(site.config().filename().string(), config);
  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());
  // The first run has ended (every batch is spooled) and the spool has drained: an empty spool
  // seen while the run still writes batches would not stay empty.
  REQUIRE(wait_until(
      [&] {
        return (site.runs_of("sis") >= 1 && site.spool_batches() == 0u &&
                site.stored_lines() > 0) ||
               !run.running();
      },
      30s, 100ms));
  REQUIRE(run.running());
  std::string scraped;
  REQUIRE(wait_until(
      [&] {
        scraped = http_get(port, "/metrics");
        return scraped.find("ferry_uplink_batches_acked_total 0") == std::string::npos &&
               scraped.find("ferry_uplink_batches_acked_total") != std::string::npos;
      },
      30s));
  INFO(scraped);
  CHECK_THAT(scraped, Contains("HTTP/1.1 200"));
  CHECK_THAT(scraped, Contains("text/plain; version=0.0.4"));
  CHECK_THAT(scraped, Contains("ferry_build_info{"));
  CHECK_THAT(scraped, Contains("ferry_uplink_state{state=\"connected\"} 1"));
  CHECK_THAT(scraped, Contains("ferry_source_rows_read_total{source=\"sis\""));
  CHECK_THAT(scraped, Contains("ferry_spool_batches 0"));
  CHECK_THAT(http_get(port, "/nope"), Contains("404"));
  site.stop_run(run);
}

TEST_CASE("ferry sync shows progress, and hands its work to a running agent", "[uplink][control]") {
  UplinkSite site(30);
  TenantProcess tenant(site);
  tenant.start();
  site.configure({.port = tenant.port()});
  // No agent: the command does the work and, not on a terminal (cron), prints no progress line
  // at all: only the summary, which stays in order.
  auto alone = site.sync();
  INFO(alone.out << alone.err);
  REQUIRE(alone.exit_code == 0);
  CHECK_THAT(alone.err, !Contains("batches spooled"));
  CHECK(alone.err.find('\r') == std::string::npos);
  CHECK_THAT(alone.out, Contains("sent: ") && Contains("sis.users: "));

  // `runs` counts the runs of this agent: its first, then the one the sync below hands it.
  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());
  REQUIRE(wait_until([&] { return site.runs_of("sis") >= 1 || !run.running(); }, 30s, 100ms));
  auto handed = site.sync();
  INFO(handed.out << handed.err);
  CHECK(handed.exit_code == 0);
  CHECK_THAT(handed.out, Contains("the running agent owns"));
  CHECK_THAT(handed.out, Contains("sis: "));
  CHECK(site.runs_of("sis") >= 2);
  const auto asked = audit_entries(site, "sync_requested");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].at("uid") == ::getuid());
  CHECK(asked[0].at("wait") == true);
  CHECK(asked[0].at("upload") == true);
  // What needs the data_dir to itself says so.
  auto mass = site.ferry({"sync", "--allow-mass-delete"});
  CHECK(mass.exit_code == 1);
  CHECK_THAT(mass.err, Contains("stop the running agent"));
  // --no-upload cannot be honoured by an agent that delivers what it spools: refused, why said.
  auto kept = site.ferry({"sync", "--no-upload"});
  CHECK(kept.exit_code == 1);
  CHECK_THAT(kept.err, Contains("--no-upload cannot be honoured while the agent runs"));
  site.stop_run(run);
}

TEST_CASE("ferry sync handed to an agent the tenant refuses says why without waiting",
          "[uplink][control]") {
  UplinkSite site(20);
  TenantProcess tenant(site, {"--refuse-tokens"});
  tenant.start();
  site.configure({.port = tenant.port()});
  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());
  REQUIRE(wait_until([&] { return site.runs_of("sis") >= 1 || !run.running(); }, 30s, 100ms));
  // Waiting for the timeout would print "not done within --timeout" instead.
  auto handed = site.ferry({"sync", "--timeout", "120s"});
  INFO(handed.out << handed.err);
  CHECK(handed.exit_code == 1);
  CHECK_THAT(handed.out, Contains("the running agent owns"));
  CHECK_THAT(handed.err, Contains("not delivered: ") &&
                             Contains("rejected the agent token (HTTP 401)") &&
                             Contains("the agent sends it once this is fixed"));
  CHECK(run.running());
  site.stop_run(run);
}

TEST_CASE("reload applies a changed configuration and refuses a broken one", "[uplink][control]") {
  UplinkSite site(20);
  TenantProcess tenant(site);
  tenant.start();
  // First pointed at a port where nothing listens: nothing is delivered.
  TcpProxy nothing_listens;  // holds a port and refuses every connection
  site.configure({.port = nothing_listens.port()});
  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());
  REQUIRE(
      wait_until([&] { return site.runs_of("sis") >= 1 || !run.running(); }, 30s, 100ms));
  REQUIRE(site.stored_lines() == 0);

  // A broken file: refused, with the problem named; the agent runs on as before.
  // (`ferry status` reads the file too, so the socket is asked directly meanwhile.)
  std::string broken = read_file(site.config());
  broken.replace(broken.find("idle_timeout:"), 13, "idle_timeot:");
  site.dir().write(site.config().filename().string(), broken);
  auto refused = request(site, R"({"cmd":"reload"})");
  INFO(boost::json::serialize(refused));
  CHECK(refused.at("ok") == false);
  CHECK_THAT(std::string(refused.at("error").as_string()), Contains("idle_timeot"));
  CHECK_THAT(std::string(refused.at("error").as_string()), Contains("did you mean"));
  CHECK(run.running());
  CHECK(request(site, R"({"cmd":"status"})").contains("uplink"));

  // The right port, applied by a reload request: the spool reaches the tenant.
  site.configure({.port = tenant.port()});
  auto applied = request(site, R"({"cmd":"reload"})");
  INFO(boost::json::serialize(applied));
  CHECK(applied.at("ok") == true);
  CHECK(wait_until([&] { return site.spool_batches() == 0u && site.stored_lines() > 0; }, 30s));

  // SIGHUP reloads too; a broken file then only logs the refusal.
  site.dir().write(site.config().filename().string(), "agent: [\n");
  REQUIRE(run.signal(SIGHUP));
  const auto audit_says = [&](std::string_view event, std::size_t times) {
    return count_of(read_file(site.data_dir() / "audit.log"), event) >= times;
  };
  CHECK(wait_until([&] { return audit_says("\"event\":\"config_reload_refused\"", 2); }, 30s,
                   100ms));
  CHECK(run.running());
  CHECK(uplink_state(request(site, R"({"cmd":"status"})")) == "connected");
  site.stop_run(run);

  // A reload asked over the socket records who asked; a SIGHUP, who sent it (this process).
  const auto reloaded = audit_entries(site, "config_reloaded");
  REQUIRE(reloaded.size() == 1);
  CHECK(reloaded[0].at("uid") == ::getuid());
  CHECK_FALSE(reloaded[0].contains("sighup_uid"));
  const auto refusals = audit_entries(site, "config_reload_refused");
  REQUIRE(refusals.size() == 2);
  CHECK(refusals[0].at("uid") == ::getuid());
  CHECK_FALSE(refusals[1].contains("uid"));
  CHECK(refusals[1].at("sighup_uid") == ::getuid());
  CHECK(refusals[1].at("sighup_pid") == ::getpid());
}

}  // namespace
}  // namespace ferry::test
