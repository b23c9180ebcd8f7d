// ferry-tenant through key rotations, over a real socket (serve_fixture.hpp): its own key (several
// --private-key, the one welcome names, batches naming a key it lacks), and the sweeps that ask
// an agent for maps of the old pseudonyms it still holds after a rekey batch (rekey_request).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tenant/serve_fixture.hpp"
#include "tests/tenant/tenant_test_client.hpp"
#include "tests/tenant/tenant_test_util.hpp"

namespace ferry::tenant {
namespace {

using Catch::Matchers::Contains;
using ferry::test::read_file;
using ferry::test::run_process;
using ferry::test::TempDir;
using test::batch;
using test::header_for;
using test::hello;
using test::json_of;
using test::kBinary;
using test::kToken;
using test::sealed_frame;
using test::Tenant;
using test::TestAgent;
using test::wait_until;

// A frame of batch `seq` carrying `lines`, sealed to `public_key` and naming it.
crypto::Bytes named_batch(std::uint64_t seq, crypto::ByteView public_key, std::string_view lines) {
  auto header = header_for(seq);
  header.rows = static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
  header.tenant_key_id = frame::tenant_key_id(public_key).value();
  return sealed_frame(header, public_key, lines);
}

// A rekey batch `seq` of `key_version` holding `lines`.
crypto::Bytes rekey_batch(std::uint64_t seq, std::uint32_t key_version, crypto::ByteView public_key,
                          std::string_view lines) {
  auto header = header_for(seq, "", "");
  header.kind = "rekey";
  header.key_version = key_version;
  header.rows = static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
  return sealed_frame(header, public_key, lines);
}

// Connects, says hello and returns the whole welcome.
boost::json::object welcomed(TestAgent& agent, const Tenant& tenant) {
  REQUIRE_FALSE(agent.connect(tenant.port(), kToken));
  REQUIRE_FALSE(agent.send_text(hello()));
  auto answer = json_of(agent.read());
  REQUIRE(answer.at("type") == "welcome");
  return answer;
}

// Reads messages until one of `type` comes (REQUIREs that it does); the others are kept in
// `skipped`.
boost::json::object read_until(TestAgent& agent, std::string_view type,
                               std::vector<boost::json::object>* skipped = nullptr) {
  for (int i = 0; i < 20; ++i) {
    auto message = json_of(agent.read());
    if (message.at("type").as_string() == type) return message;
    if (skipped != nullptr) skipped->push_back(std::move(message));
  }
  FAIL("no '" << type << "' message came");
  return {};
}

std::vector<std::string> tokens_of(const boost::json::object& request) {
  std::vector<std::string> tokens;
  for (const auto& token : request.at("tokens").as_array()) {
    tokens.emplace_back(token.as_string());
  }
  return tokens;
}

std::string rekey_result(const boost::json::object& request, std::uint64_t mapped,
                         std::uint64_t seq) {
  boost::json::object result{
      {"type", "rekey_result"}, {"id", request.at("id")}, {"ok", true}, {"mapped", mapped},
      {"unknown", 0},           {"current", 0},           {"seq", seq}, {"message", "test"}};
  return boost::json::serialize(result);
}

TEST_CASE("serve names its first key in welcome and opens batches sealed to any key it holds") {
  Tenant tenant({}, {"new.key", "old.key"});
  TestAgent agent(tenant.ca());
  const auto welcome = welcomed(agent, tenant);
  CHECK(welcome.at("key_id").as_string() == tenant.key_id("new.key"));

  const std::string row1 = "{\"_op\":\"upsert\",\"id\":\"p1.a\"}\n";
  const std::string row2 = "{\"_op\":\"upsert\",\"id\":\"p1.b\"}\n";
  const std::string row3 = "{\"_op\":\"upsert\",\"id\":\"p1.c\"}\n";
  REQUIRE_FALSE(agent.send_binary(named_batch(1, tenant.public_key("old.key"), row1)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  REQUIRE_FALSE(agent.send_binary(named_batch(2, tenant.public_key("new.key"), row2)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  // From an agent that does not name the key: tried with each.
  REQUIRE_FALSE(agent.send_binary(batch(3, tenant.public_key("old.key"), row3)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == row1 + row2 + row3);
  const std::string log = tenant.log();
  CHECK_THAT(log, Contains("key_id=" + tenant.key_id("old.key")));
  CHECK_THAT(log, Contains("key_id=" + tenant.key_id("new.key")));
  CHECK_THAT(log, Contains("key_id=-"));
}

TEST_CASE("serve nacks with retry a batch sealed to a key it does not hold and names that key") {
  Tenant tenant;
  TestAgent agent(tenant.ca());
  CHECK(welcomed(agent, tenant).at("acked_through") == 0);
  const auto retired = crypto::x25519_generate_keypair().value();
  const std::string retired_id = frame::tenant_key_id(retired.public_key).value();
  const std::string row = "{\"_op\":\"upsert\",\"id\":\"p1.a\"}\n";
  REQUIRE_FALSE(agent.send_binary(named_batch(1, retired.public_key, row)));
  auto nack = json_of(agent.read());
  CHECK(nack.at("type") == "nack");
  CHECK(nack.at("retry") == true);
  CHECK_THAT(std::string(nack.at("reason").as_string()),
             Contains("sealed to tenant key " + retired_id) && Contains("--private-key"));
  // Not settled: the batch is still the one expected.
  TestAgent again(tenant.ca());
  CHECK(welcomed(again, tenant).at("acked_through") == 0);

  // Without a key id, no key it holds opens it: refused for good, as before.
  REQUIRE_FALSE(again.send_binary(batch(1, retired.public_key, row)));
  auto rejected = json_of(again.read());
  CHECK(rejected.at("type") == "nack");
  CHECK(rejected.at("retry") == false);
}

TEST_CASE("serve refuses the same private key given twice and keygen prints the key id") {
  TempDir dir;
  auto made = run_process({kBinary, "keygen", "--out", (dir / "a.key").string()});
  REQUIRE(made.exit_code == 0);
  auto public_key = crypto::base64_decode(made.out.substr(0, 44));
  REQUIRE(public_key);
  const std::string id = frame::tenant_key_id(*public_key).value();
  CHECK_THAT(made.err, Contains("key id " + id));
  CHECK(made.out == made.out.substr(0, 44) + "\n");  // stdout: the public key alone

  dir.write_private("tokens", "school-042 district-7 t\n");
  REQUIRE(run_process({kBinary, "certs", "--out", (dir / "pki").string()}).exit_code == 0);
  auto twice = run_process(
      {kBinary, "serve", "--listen", "127.0.0.1:0", "--cert", (dir / "pki/server.pem").string(),
       "--key", (dir / "pki/server.key").string(), "--private-key", (dir / "a.key").string(),
       "--private-key", (dir / "a.key").string(), "--tokens", (dir / "tokens").string(), "--out",
       (dir / "out").string()});
  CHECK(twice.exit_code == 2);
  CHECK_THAT(twice.err, Contains("is the same key as") && Contains(id));
}

TEST_CASE("after a rekey batch serve asks for maps of the old pseudonyms it holds, in parts") {
  Tenant tenant;
  TestAgent agent(tenant.ca());
  welcomed(agent, tenant);
  // 1500 old pseudonyms in rows (a list value among them), a hash, and a current one.
  std::string rows;
  std::set<std::string> old;
  for (int i = 0; i < 1500; i += 2) {
    const std::string a = "p1.u" + std::to_string(i);
    const std::string b = "p1.u" + std::to_string(i + 1);
    rows +=
        "{\"_op\":\"upsert\",\"id\":\"" + a + "\",\"refs\":\"" + b + ",p2.x\",\"mail\":\"h1.m\"}\n";
    old.insert(a);
    old.insert(b);
  }
  REQUIRE_FALSE(agent.send_binary(batch(1, tenant.public_key(), rows)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  // The rotation's maps: one old pseudonym is mapped by them.
  REQUIRE_FALSE(agent.send_binary(rekey_batch(
      2, 2, tenant.public_key(), "{\"domain\":\"user\",\"old\":\"p1.u0\",\"new\":\"p2.u0\"}\n")));
  old.erase("p1.u0");

  std::vector<boost::json::object> others;
  const auto first = read_until(agent, "rekey_request", &others);
  REQUIRE(others.size() <= 1);  // the ack of the rekey batch, before or after
  const auto part1 = tokens_of(first);
  CHECK(part1.size() == 1000);
  // One at a time: the next part only after the answer to this one.
  REQUIRE_FALSE(agent.send_text(rekey_result(first, 0, 0)));
  const auto second = read_until(agent, "rekey_request", &others);
  const auto part2 = tokens_of(second);
  CHECK(part2.size() == old.size() - 1000);
  std::set<std::string> asked(part1.begin(), part1.end());
  asked.insert(part2.begin(), part2.end());
  CHECK(asked == old);  // each once; no hash, no current token, nothing already mapped
  REQUIRE_FALSE(agent.send_text(rekey_result(second, 0, 0)));
  REQUIRE(wait_until([&] { return tenant.log().find("rekey sweep done") != std::string::npos; }));

  // The agent's maps arrive as a rekey batch: another sweep asks only for what is still old.
  REQUIRE_FALSE(agent.send_binary(rekey_batch(
      3, 2, tenant.public_key(), "{\"domain\":\"user\",\"old\":\"p1.u1\",\"new\":\"p2.u1\"}\n")));
  const auto third = tokens_of(read_until(agent, "rekey_request"));
  CHECK(third.size() == 1000);
  CHECK(std::count(third.begin(), third.end(), "p1.u1") == 0);
  CHECK_THAT(tenant.log(), Contains("rekey result agent=school-042 id=\"" +
                                    std::string(first.at("id").as_string()) + "\" ok=true"));
  CHECK_THAT(tenant.log(), !Contains("p1.u2"));  // counts only in the log
}

TEST_CASE("a sweep cut short is asked again after the next welcome and a refusal ends it") {
  Tenant tenant;
  {
    TestAgent agent(tenant.ca());
    welcomed(agent, tenant);
    REQUIRE_FALSE(
        agent.send_binary(batch(1, tenant.public_key(), "{\"_op\":\"upsert\",\"id\":\"p1.a\"}\n")));
    CHECK(json_of(agent.read()).at("type") == "ack");
    REQUIRE_FALSE(agent.send_binary(rekey_batch(
        2, 2, tenant.public_key(), "{\"domain\":\"user\",\"old\":\"p1.z\",\"new\":\"p2.z\"}\n")));
    read_until(agent, "rekey_request");
    // Gone without an answer.
  }
  TestAgent again(tenant.ca());
  welcomed(again, tenant);
  const auto asked = read_until(again, "rekey_request");
  CHECK(tokens_of(asked) == std::vector<std::string>{"p1.a"});
  boost::json::object refused{
      {"type", "rekey_result"}, {"id", asked.at("id")}, {"ok", false}, {"mapped", 0},
      {"unknown", 0},           {"current", 0},         {"seq", 0},    {"message", "busy"}};
  REQUIRE_FALSE(again.send_text(boost::json::serialize(refused)));
  REQUIRE(
      wait_until([&] { return tenant.log().find("rekey sweep stopped") != std::string::npos; }));
  // Still owed: a third connection asks again.
  TestAgent third(tenant.ca());
  welcomed(third, tenant);
  CHECK(tokens_of(read_until(third, "rekey_request")) == std::vector<std::string>{"p1.a"});
}

}  // namespace
}  // namespace ferry::tenant
