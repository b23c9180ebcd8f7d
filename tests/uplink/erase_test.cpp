// The right to be forgotten end to end: the real `ferry erase`, `ferry sync` and `ferry run`
// against the real ferry-tenant. After an erasure the subject's rows are gone at the tenant, no
// later sync sends them, rows of the subject still waiting in the spool are never sent, the
// tenant records the erasure, the audit log records it, and no file of the agent holds the value.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "tests/netfault/wait_until.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr std::string_view kSubject = "u-00000007";

std::string token_of(const UplinkSite& site, std::string_view value) {
  auto made = site.ferry({"pseudonymize", "--domain", "user", std::string(value)});
  REQUIRE(made.exit_code == 0);
  std::string token = made.out.substr(0, made.out.find('\n'));
  REQUIRE(token.rfind("p1.", 0) == 0);
  return token;
}

// Every stream the tenant stored for source sis, together.
std::string all_stored(const UplinkSite& site) {
  std::string text;
  for (const char* stream : kStreams) text += site.stored(stream);
  return text;
}

// No file the agent wrote (data_dir, its log) holds the erased value in plain text.
void check_value_nowhere(const UplinkSite& site, std::string_view value) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(site.data_dir())) {
    if (!entry.is_regular_file()) continue;
    INFO(entry.path());
    CHECK(read_file(entry.path()).find(value) == std::string::npos);
  }
  CHECK(read_file(site.log_file()).find(value) == std::string::npos);
}

TEST_CASE("erase removes the subject at the tenant and no later sync sends it", "[uplink][erase]") {
  UplinkSite site(40);
  TenantProcess tenant(site);
  tenant.start();
  site.configure({.port = tenant.port()});
  REQUIRE(site.sync().exit_code == 0);
  const std::string token = token_of(site, kSubject);
  REQUIRE(count_of(site.stored("users"), token) == 1);
  REQUIRE(count_of(site.stored("enrollments"), token) > 0);
  const std::size_t lines_before = site.stored_lines();
  std::size_t subject_lines = 0;
  for (const auto& line : sorted_lines(all_stored(site))) {
    subject_lines += line.find(token) != std::string::npos ? 1 : 0;
  }
  REQUIRE(subject_lines > 1);

  auto erased = site.ferry({"erase", "--domain", "user", std::string(kSubject)});
  INFO(erased.out << erased.err);
  REQUIRE(erased.exit_code == 0);
  CHECK_THAT(erased.out, Contains("erase batch seq"));
  CHECK_THAT(erased.out, Contains("no agent is running"));

  REQUIRE(site.sync().exit_code == 0);
  CHECK(all_stored(site).find(token) == std::string::npos);
  CHECK(site.stored_lines() == lines_before - subject_lines);
  const std::string erasures = read_file(site.tenant_out() / kAgentId / "erase.jsonl");
  CHECK(count_of(erasures, token) == 1);
  // --wait needs an agent to deliver the batch: refused, the erasure itself done.
  auto waited = site.ferry({"erase", "--domain", "user", std::string(kSubject), "--wait"});
  CHECK(waited.exit_code == 1);
  CHECK_THAT(waited.err, Contains("--wait needs a running agent"));

  // The audit log records the erasure: counts, seqs, and the tokens that name what was erased
  // (never the value).
  const std::string audit = read_file(site.data_dir() / "audit.log");
  CHECK(count_of(audit, "\"event\":\"erase\"") == 2);  // the second with --wait, refused
  CHECK(count_of(audit, token) == 2);
  CHECK(audit.find(kSubject) == std::string::npos);
  auto verified = site.ferry({"audit", "verify"});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  // An entry edited afterwards (the erasure's count changed) is found and named.
  {
    std::string edited = audit;
    const auto at = edited.find("\"event\":\"erase\"");
    REQUIRE(at != std::string::npos);
    const auto count = edited.find("\"tokens\":", at);
    REQUIRE(count != std::string::npos);
    edited.insert(count + 9, "1");
    const auto line = static_cast<std::size_t>(
        std::count(edited.begin(), edited.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 1);
    std::filesystem::copy_file(site.data_dir() / "audit.log", site.dir() / "audit.log.good");
    site.dir().write("audit.log.edited", edited);
    std::filesystem::copy_file(site.dir() / "audit.log.edited", site.data_dir() / "audit.log",
                               std::filesystem::copy_options::overwrite_existing);
    auto tampered = site.ferry({"audit", "verify"});
    INFO(tampered.out << tampered.err);
    CHECK(tampered.exit_code == 1);
    CHECK_THAT(tampered.out + tampered.err, Contains("line " + std::to_string(line)));
    std::filesystem::copy_file(site.dir() / "audit.log.good", site.data_dir() / "audit.log",
                               std::filesystem::copy_options::overwrite_existing);
  }

  // A changed export is read again: the subject's rows stay out.
  REQUIRE(
      site.generate({"--users", "40", "--seed", "2", "--change-percent", "50", "--base-seed", "1"})
          .exit_code == 0);
  REQUIRE(site.sync().exit_code == 0);
  CHECK(all_stored(site).find(token) == std::string::npos);

  // Erasing twice is harmless.
  auto again = site.ferry({"erase", "--domain", "user", std::string(kSubject)});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("(0 new)"));
  REQUIRE(site.sync().exit_code == 0);
  check_value_nowhere(site, kSubject);
}

TEST_CASE("rows of an erased subject waiting in the spool are never sent", "[uplink][erase]") {
  UplinkSite site(40);
  TcpProxy front;  // refuses until the tenant is up
  site.configure({.port = front.port()});
  // Spooled while no tenant is up.
  REQUIRE(site.ferry({"sync", "--no-upload"}).exit_code == 0);
  REQUIRE(site.spool_batches().value_or(0) > 0);
  const std::string token = token_of(site, kSubject);

  auto erased = site.ferry({"erase", "--domain", "user", std::string(kSubject)});
  INFO(erased.out << erased.err);
  REQUIRE(erased.exit_code == 0);
  CHECK_THAT(erased.out, Contains("withheld"));

  TenantProcess tenant(site);
  tenant.start();
  front.forward_to(tenant.port());
  REQUIRE(site.sync().exit_code == 0);
  const std::string stored = all_stored(site);
  CHECK(stored.find(token) == std::string::npos);
  // Everyone else arrived: the withheld batches' rows were read again.
  CHECK(count_lines(site.stored("users")) == 39);
  CHECK(site.spool_batches() == 0u);
  check_value_nowhere(site, kSubject);
}

TEST_CASE("a running agent does the erasure it is handed over the control socket",
          "[uplink][erase]") {
  UplinkSite site(40);
  TenantProcess tenant(site);
  tenant.start();
  site.configure({.port = tenant.port()});
  auto run = site.start_run();
  const std::string token = token_of(site, kSubject);
  REQUIRE(wait_until([&] { return count_of(site.stored("users"), token) == 1 || !run.running(); },
                     30s));
  REQUIRE(wait_until([&] { return site.spool_batches() == 0u || !run.running(); }, 30s));

  // --wait returns once the tenant acknowledged the erase batch: the rows are gone by then.
  auto erased = site.ferry({"erase", "--domain", "user", std::string(kSubject), "--wait",
                            "--timeout", "60s"});
  INFO(erased.out << erased.err);
  REQUIRE(erased.exit_code == 0);
  CHECK_THAT(erased.out, Contains("running agent") &&
                             Contains("the tenant acknowledged the erase batch (seq"));
  CHECK_THAT(erased.out, !Contains("no source has sent a row"));
  INFO("ferry run: " << site.run_output());
  CHECK(all_stored(site).find(token) == std::string::npos);
  // An identifier no source ever produced: said so, and suppressed all the same.
  auto unknown = site.ferry({"erase", "--domain", "user", "u-never-seen", "--wait"});
  INFO(unknown.out << unknown.err);
  CHECK(unknown.exit_code == 0);
  CHECK_THAT(unknown.out, Contains("no source has sent a row keyed by this identifier"));
  site.stop_run(run);
  const std::string audit = read_file(site.data_dir() / "audit.log");
  CHECK(count_of(audit, "\"event\":\"erase\"") == 2);
  CHECK(count_of(audit, "\"event\":\"batch_acked\"") > 0);
  // Who asked: the uid the kernel reported for `ferry erase` at the socket.
  const auto erased_entries = audit_entries(site, "erase");
  REQUIRE(erased_entries.size() == 2);
  CHECK(erased_entries[0].at("uid") == ::getuid());
  check_value_nowhere(site, kSubject);
}

}  // namespace
}  // namespace ferry::test
