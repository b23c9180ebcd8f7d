// The tenant's rekey_request (docs/protocol.md, "Re-key requests"): the tenant sends tokens it
// holds and gets maps for the older pseudonyms among them, revealed on site and made again under
// the active key, so that a pseudonym no source carries any more (a user who left before the
// rotation) is mapped too. First the agent's answer on its own (pipeline/rekey_request.hpp), then
// the real `ferry` against the real `ferry-tenant`, which asks after every rekey batch it stores.
#include "agent/pipeline/rekey_request.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/policy/suppression.hpp"
#include "common/crypto/tokens.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "tests/agent/support/test_spool.hpp"
#include "tests/integration/csv_table.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

// A keyring of two versions (1 made first, 2 active), a spool and a configuration whose one
// stream pseudonymizes in the domains "user" and "username".
struct Answering {
  TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  keys::Keyring keyring =
      keys::Keyring::create(dir / "keyring.json", std::chrono::system_clock::now()).value();
  std::unique_ptr<spool::Spool> spool;
  config::Settings settings;
  std::string made;

  Answering() {
    spool = test::open_test_spool(dir / "spool.db", tenant.public_key);
    settings.agent.data_dir = dir.path();
    config::SourceSettings source;
    source.name = "sis";
    source.type = "oneroster_csv";
    config::StreamSettings users;
    users.name = "users";
    users.key = "sourcedId";
    for (const auto& [name, domain] :
         {std::pair{"sourcedId", "user"}, std::pair{"username", "username"}}) {
      config::FieldPolicy field;
      field.name = name;
      field.transform = config::Transform::kPseudonymize;
      field.domain = domain;
      users.fields.push_back(field);
    }
    source.streams = {users};
    settings.sources = {source};
  }

  std::string pseudonym(std::uint32_t version, std::string_view domain, std::string_view value) {
    auto pseudonymizer =
        crypto::Pseudonymizer::create(keyring.find(version)->secret, version, domain).value();
    made.clear();
    REQUIRE(pseudonymizer.pseudonymize(value, made));
    return made;
  }
  std::string hash(std::uint32_t version, std::string_view domain, std::string_view value) {
    auto hasher = crypto::Hasher::create(keyring.find(version)->secret, version, domain).value();
    made.clear();
    REQUIRE(hasher.hash(value, made));
    return made;
  }
};

TEST_CASE("a rekey request maps the older pseudonyms and counts what it cannot map",
          "[uplink][rekey_request]") {
  Answering site;
  const std::string old_user = site.pseudonym(1, "user", "u-1");
  const std::string old_name = site.pseudonym(1, "username", "avery.testperson00001");
  const std::string old_hash = site.hash(1, "user", "u-1");
  const std::string elsewhere = site.pseudonym(1, "guardian", "g-1");  // no configured domain
  REQUIRE(site.keyring.rotate(std::chrono::system_clock::now()).value() == 2);
  const std::string current = site.pseudonym(2, "user", "u-3");
  const std::vector<std::string> tokens = {old_user,    old_name, old_hash,  current,
                                           "not-token", old_user, "p7.AAAA", elsewhere};

  auto answer = pipeline::answer_rekey_request(*site.spool, site.keyring, site.settings, tokens);
  REQUIRE(answer);
  CHECK(answer->mapped == 3);  // old_user twice, old_name
  CHECK(answer->current == 1);
  CHECK(answer->unknown == 4);  // the hash, the non-token, a version the keyring lacks, elsewhere
  CHECK(answer->seq == 1);

  const auto pending = site.spool->pending(0, 10).value();
  REQUIRE(pending.size() == 1);
  CHECK(pending.front().kind == "rekey");
  auto opened = frame::open(pending.front().frame, site.tenant.private_key);
  REQUIRE(opened);
  CHECK(opened->header.key_version == 2);
  CHECK(opened->header.rows == 2);  // each old token mapped once
  CHECK(opened->plaintext == R"({"domain":"user","old":")" + old_user + R"(","new":")" +
                                 site.pseudonym(2, "user", "u-1") + "\"}\n" +
                                 R"({"domain":"username","old":")" + old_name + R"(","new":")" +
                                 site.pseudonym(2, "username", "avery.testperson00001") + "\"}\n");
}

TEST_CASE("a rekey request maps no token of an erased subject and spools nothing for nothing",
          "[uplink][rekey_request]") {
  Answering site;
  const std::string erased = site.pseudonym(1, "user", "u-2");
  REQUIRE(policy::Suppression::add(site.dir.path(), {{"user", erased}}));
  REQUIRE(site.keyring.rotate(std::chrono::system_clock::now()).value() == 2);
  auto answer = pipeline::answer_rekey_request(*site.spool, site.keyring, site.settings,
                                               {erased, site.pseudonym(2, "user", "u-2")});
  REQUIRE(answer);
  CHECK(answer->mapped == 0);
  CHECK(answer->unknown == 1);
  CHECK(answer->current == 1);
  CHECK(answer->seq == 0);
  CHECK(site.spool->pending(0, 10).value().empty());
}

std::string token_of(const UplinkSite& site, std::string_view domain, std::string_view value) {
  auto made = site.ferry({"pseudonymize", "--domain", std::string(domain), std::string(value)});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  return made.out.substr(0, made.out.find('\n'));
}

// The first line of `log` holding every one of `parts` ("" when none).
std::string line_with(const std::string& log, const std::vector<std::string>& parts) {
  std::size_t start = 0;
  while (start < log.size()) {
    const std::size_t end = std::min(log.find('\n', start), log.size());
    const std::string line = log.substr(start, end - start);
    if (std::all_of(parts.begin(), parts.end(), [&](const std::string& part) {
          return line.find(part) != std::string::npos;
        })) {
      return line;
    }
    start = end + 1;
  }
  return "";
}

// Every stream of source sis the tenant stored, together.
std::string all_stored(const UplinkSite& site) {
  std::string text;
  for (const char* stream : kStreams) text += site.stored(stream);
  return text;
}

// Removes user `id` from the export, with the enrollments and demographics that name it.
void remove_user(const UplinkSite& site, std::string_view id) {
  for (const auto& [file, column] :
       {std::pair{"users.csv", "sourcedId"}, std::pair{"enrollments.csv", "userSourcedId"},
        std::pair{"demographics.csv", "sourcedId"}}) {
    const auto path = site.export_dir() / file;
    CsvTable table = CsvTable::load(path);
    const std::size_t at = table.column(column);
    auto& rows = table.rows();
    const auto before = rows.size();
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](const std::vector<std::string>& row) { return row[at] == id; }),
               rows.end());
    REQUIRE(rows.size() < before);
    table.save(path);
  }
}

TEST_CASE("a pseudonym no source carries any more is mapped at the tenant by its request",
          "[uplink][rekey_request]") {
  constexpr std::string_view kLeaver = "u-00000003";
  UplinkSite site(30);
  TcpProxy front;
  std::optional<TenantProcess> tenant(std::in_place, site);
  tenant->start();
  front.forward_to(tenant->port());
  site.configure({.port = front.port()});
  REQUIRE(site.sync().exit_code == 0);
  const std::string leaver_v1 = token_of(site, "user", kLeaver);
  REQUIRE(count_of(site.stored("enrollments"), leaver_v1) > 0);

  // The user leaves before the rotation: deletes go out, the tenant keeps what it was sent.
  remove_user(site, kLeaver);
  const auto left = site.sync();
  INFO(left.out << left.err);
  REQUIRE(left.exit_code == 0);
  REQUIRE(count_of(site.stored("users"), leaver_v1) > 0);

  const auto rotated = site.ferry({"keys", "rotate", "--yes"});
  INFO(rotated.out << rotated.err);
  REQUIRE(rotated.exit_code == 0);
  auto run = site.start_run();
  // The rotation's maps, then the tenant's requests for what it still holds of version 1: in
  // the end no version-1 pseudonym is left anywhere in its rows, those of the user who left
  // included (the key of its users rows, and userSourcedId of its enrollments).
  const bool mapped = wait_until(
      [&] {
        const std::string stored = all_stored(site);
        return site.spool_batches() == std::optional<std::uint64_t>(0) &&
               count_of(stored, "\"p1.") == 0 && count_of(stored, ",p1.") == 0;
      },
      120s);
  INFO("tenant log: " << tenant->log());
  CHECK(mapped);
  // A request was answered with maps (at least the leaver's token and its enrollments' keys).
  // The tenant logs the result after it stored the answer's maps: waited for, not raced.
  const std::regex answered_with_maps("rekey result agent=school-042 id=\"rekey-[0-9]+\" ok=true "
                                      "mapped=[1-9]");
  CHECK(wait_until([&] { return std::regex_search(tenant->log(), answered_with_maps); }, 30s));
  CHECK(wait_until([&] { return line_with(tenant->log(), {"rekey sweep done"}) != ""; }, 30s));
  site.stop_run(run);

  const std::string leaver_v2 = token_of(site, "user", kLeaver);
  REQUIRE(leaver_v2.rfind("p2.", 0) == 0);
  CHECK(count_of(site.stored("users"), leaver_v2) > 0);
  CHECK(count_of(site.stored("enrollments"), leaver_v2) > 0);
  CHECK(count_of(all_stored(site), leaver_v1) == 0);
  // Revealing on site for the tenant is recorded, counts only.
  const auto audited = audit_entries(site, "rekey_request");
  REQUIRE_FALSE(audited.empty());
  CHECK(read_file(site.data_dir() / "audit.log").find(leaver_v1) == std::string::npos);
}

TEST_CASE("a rekey request counts the tokens it cannot map and a larger one is refused",
          "[uplink][rekey_request]") {
  UplinkSite site(10);
  TcpProxy front;
  site.configure({.port = front.port()});
  const std::string old_token = token_of(site, "user", "u-visitor");
  REQUIRE(site.ferry({"keys", "rotate", "--yes"}).exit_code == 0);
  const std::string new_token = token_of(site, "user", "u-visitor");
  site.dir().write("mixed.tokens", old_token + "\n" + new_token + "\nh1.abc\nnot-a-token\n");
  std::string many;
  for (int i = 0; i < 1001; ++i) many += old_token + "\n";
  site.dir().write("many.tokens", many);

  {
    TenantProcess tenant(site, {"--rekey-request", (site.dir() / "mixed.tokens").string()});
    tenant.start();
    front.forward_to(tenant.port());
    auto run = site.start_run();
    const std::string rekey_file = (site.tenant_out() / kAgentId / "rekey.jsonl").string();
    const std::string map = "\"old\":\"" + old_token + "\",\"new\":\"" + new_token + "\"";
    const bool answered = wait_until(
        [&] {
          return line_with(tenant.log(), {"rekey result", "id=\"test-"}) != "" &&
                 count_of(read_file(rekey_file), map) > 0;
        },
        60s);
    INFO("tenant log: " << tenant.log());
    CHECK(answered);
    CHECK_THAT(line_with(tenant.log(), {"rekey result", "id=\"test-"}),
               Contains("ok=true mapped=1 unknown=2 current=1"));
    site.stop_run(run);
    tenant.kill();
  }
  {
    TenantProcess tenant(site, {"--rekey-request", (site.dir() / "many.tokens").string()});
    tenant.start();
    front.forward_to(tenant.port());
    auto run = site.start_run();
    const bool refused = wait_until(
        [&] {
          return line_with(tenant.log(), {"rekey result", "ok=false"}) != "";
        },
        60s);
    INFO("tenant log: " << tenant.log());
    CHECK(refused);
    CHECK_THAT(line_with(tenant.log(), {"rekey result", "ok=false"}),
               Contains("it holds 1001 tokens, and at most 1000 are taken in one message"));
    CHECK(site.logged("tokens=1001: rekey_request refused"));
    site.stop_run(run);
  }
}

}  // namespace
}  // namespace ferry::test
