// Delivery through faults: a tenant killed and restarted, connections refused, cut or gone
// silent, acks slower than the keepalive, nacks, rejections, a tenant that is down when the agent
// starts, and one that drops connections. Each ends with every row stored exactly once at the
// tenant, byte for byte as `ferry preview` prints it, and the agent's spool empty (except a batch
// rejected on purpose).
#include <chrono>
#include <set>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr int kUsers = 2000;          // many batches of...
constexpr std::uint64_t kRows = 500;  // ...at most this many rows
constexpr auto kDeadline = 60s;

// `ferry sync --timeout 60s` as a child process, its output in `name`.
ChildProcess start_sync(const UplinkSite& site, std::string_view name = "sync.out") {
  return ChildProcess(site.ferry_argv({"sync", "--timeout", "60s"}), site.dir() / name);
}

// Waits for `sync` to end and checks that it succeeded.
void check_sync_succeeds(const UplinkSite& site, ChildProcess& sync,
                         std::string_view name = "sync.out") {
  const auto code = sync.wait_for(90s);
  INFO("ferry sync: " << read_file(site.dir() / name));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

// A site with an export of many batches and a tenant started with `tenant_args`.
struct Faulty {
  explicit Faulty(std::vector<std::string> tenant_args = {}, int users = kUsers)
      : site(users), tenant(site, std::move(tenant_args)) {
    tenant.start();
  }
  // Points the agent at `port` (0: the tenant's) and notes what preview prints.
  void configure(std::uint16_t port = 0) {
    site.configure({.port = port != 0 ? port : tenant.port(), .max_rows = kRows});
    expected = site.preview();
  }
  // One `ferry sync`, expected to deliver everything.
  void sync_all() {
    configure();
    const auto synced = site.sync();
    INFO(synced.out << synced.err);
    CHECK(synced.exit_code == 0);
    check_all_delivered();
  }
  void check_all_delivered() const {
    check_stored(site, expected);
    CHECK(site.spool_batches() == 0u);
  }

  UplinkSite site;
  TenantProcess tenant;
  std::map<std::string, std::string> expected;
};

// True once the tenant has stored something: the fault is injected mid-stream.
bool tenant_stored_some(const UplinkSite& site) { return site.stored_bytes() > 0; }

TEST_CASE("a tenant killed mid-stream and restarted gets every row once", "[uplink][fault]") {
  Faulty f;
  // The agent's address for the tenant, kept across the restart (which is on a new port).
  TcpProxy front(f.tenant.port());
  f.configure(front.port());
  auto sync = start_sync(f.site);
  REQUIRE(wait_until([&] { return tenant_stored_some(f.site) || !sync.running(); }, kDeadline));
  f.tenant.kill();
  // While it is down, new connections are closed at once; nothing reaches its old port.
  front.set_mode(TcpProxy::Mode::kRefuse);
  const auto stored_at_kill = f.site.stored_lines();
  INFO("lines stored when the tenant was killed: " << stored_at_kill);
  CHECK(stored_at_kill < total_lines(f.expected));
  f.tenant.start();
  front.forward_to(f.tenant.port());
  front.set_mode(TcpProxy::Mode::kForward);
  check_sync_succeeds(f.site, sync);
  f.check_all_delivered();
}

TEST_CASE("connections refused at first: the agent keeps dialling", "[uplink][fault]") {
  Faulty f;
  TcpProxy proxy(f.tenant.port());
  proxy.set_mode(TcpProxy::Mode::kRefuse);
  f.configure(proxy.port());
  auto sync = start_sync(f.site);
  REQUIRE(
      wait_until([&] { return proxy.connections_accepted() >= 3 || !sync.running(); }, kDeadline));
  CHECK(f.site.stored_bytes() == 0);
  proxy.set_mode(TcpProxy::Mode::kForward);
  check_sync_succeeds(f.site, sync);
  f.check_all_delivered();
}

TEST_CASE("connections cut after some bytes: delivery resumes on the next", "[uplink][fault]") {
  Faulty f;
  TcpProxy proxy(f.tenant.port());
  f.configure(proxy.port());
  // Each connection carries at most 60 KB: the TLS handshake and a batch or two, then a reset
  // in the middle of a frame.
  proxy.set_mode(TcpProxy::Mode::kCutAfterBytes, 60'000);
  auto sync = start_sync(f.site);
  REQUIRE(wait_until(
      [&] {
        return (tenant_stored_some(f.site) && proxy.connections_accepted() >= 4) || !sync.running();
      },
      kDeadline));
  INFO("connections: " << proxy.connections_accepted());
  CHECK(sync.running());
  proxy.set_mode(TcpProxy::Mode::kForward);
  check_sync_succeeds(f.site, sync);
  f.check_all_delivered();
  CHECK(f.site.logged("the connection was cut"));
}

TEST_CASE("a half-open connection is noticed by the keepalive and dialled again",
          "[uplink][fault]") {
  Faulty f;
  TcpProxy proxy(f.tenant.port());
  f.configure(proxy.port());
  auto sync = start_sync(f.site);
  REQUIRE(wait_until([&] { return tenant_stored_some(f.site) || !sync.running(); }, kDeadline));
  REQUIRE(sync.running());
  // The open connection goes silent (no FIN, no RST), and so does the next one.
  proxy.set_mode(TcpProxy::Mode::kBlackhole);
  const auto before = proxy.connections_accepted();
  REQUIRE(wait_until([&] { return proxy.connections_accepted() > before || !sync.running(); },
                     kDeadline));
  proxy.set_mode(TcpProxy::Mode::kForward);
  check_sync_succeeds(f.site, sync);
  f.check_all_delivered();
  CHECK(f.site.logged("dropped as dead"));
}

TEST_CASE("acks slower than half the idle timeout do not drop the connection", "[uplink][fault]") {
  // Pings go out after 1.5 s of silence; the tenant answers them while it holds each ack for 2 s.
  Faulty f({"--ack-delay", "2s"}, 500);
  f.sync_all();
  CHECK_FALSE(f.site.logged("dropped as dead"));
  CHECK_FALSE(f.site.logged("the connection was cut"));
  CHECK(count_of(read_file(f.site.log_file()), "connected to wss://") == 1);  // one carried all
}

TEST_CASE("batches nacked with retry are sent again and stored once", "[uplink][fault]") {
  Faulty f({"--nack-retry", "3", "--nack-retry", "7"});
  f.sync_all();
  CHECK(count_of(f.tenant.log(), "nack") >= 2);
}

TEST_CASE("a tenant that drops every connection after a few batches", "[uplink][fault]") {
  Faulty f({"--drop-after", "5"});
  f.sync_all();
  CHECK(f.site.logged("the connection was cut"));
}

// The sourcedId of a JSON line.
std::string key_of(std::string_view line) {
  const auto value = boost::json::parse(line);
  const auto* key = value.as_object().if_contains("sourcedId");
  REQUIRE(key != nullptr);
  return std::string(key->as_string());
}

TEST_CASE("a batch rejected for good is parked and every other row delivered", "[uplink][fault]") {
  Faulty f({"--reject", "3"});
  f.configure();
  const auto synced = f.site.sync();
  INFO(synced.out << synced.err);
  CHECK(synced.exit_code == 1);
  CHECK_THAT(synced.err, Contains("1 batch was rejected by the tenant"));
  CHECK(count_batches(f.site.spool_db()) == 1);
  CHECK(f.site.rejected_batches() == 1);

  // What the parked batch holds is exactly what the tenant lacks.
  auto key = crypto::base64_decode(read_file(f.site.tenant_key()).substr(0, 44));
  REQUIRE(key);
  const auto spool = read_spool(f.site.spool_db(), *key);
  REQUIRE(spool.seqs == std::vector<std::uint64_t>{3});
  const auto& stream = spool.headers[0].stream;
  std::set<std::string> rejected;
  for (const auto& row : spool.rows) rejected.insert(text_of(row, "sourcedId"));
  REQUIRE(rejected.size() == spool.headers[0].rows);
  std::string kept;
  std::string_view text = f.expected.at(stream);
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end + 1);
    if (rejected.count(key_of(line.substr(0, end))) == 0) kept += line;
    text.remove_prefix(end + 1);
  }
  CHECK(count_lines(kept) + rejected.size() == count_lines(f.expected.at(stream)));
  auto without = f.expected;
  without[stream] = kept;
  check_stored(f.site, without);
}

TEST_CASE("a tenant that is down when the agent starts gets everything once it is up",
          "[uplink][fault]") {
  UplinkSite site(kUsers);
  TcpProxy front;  // refuses until the tenant is up
  site.configure({.port = front.port(), .max_rows = kRows});
  const auto expected = site.preview();

  auto run = site.start_run();
  // The first run reads the whole export into the spool while nobody answers.
  REQUIRE(wait_until([&] { return site.runs_of("sis") >= 1 || !run.running(); }, kDeadline,
                     100ms));
  REQUIRE(run.running());
  CHECK(site.spool_batches().value_or(0) > 0);
  CHECK(site.stored_bytes() == 0);

  deliver_to_late_tenant(site, run, front, expected);
}

}  // namespace
}  // namespace ferry::test
