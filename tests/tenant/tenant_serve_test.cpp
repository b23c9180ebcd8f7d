// ferry-tenant serve over a real socket: the binary started on 127.0.0.1 port 0 with `certs`
// output, spoken to by a minimal agent (tenant_test_client.hpp).
#include <algorithm>
#include <csignal>

#include <boost/beast/websocket/error.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/fault/child_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tenant/serve_fixture.hpp"
#include "tests/tenant/tenant_test_client.hpp"
#include "tests/tenant/tenant_test_util.hpp"

namespace ferry::tenant {
namespace {

using ferry::test::ChildProcess;
using ferry::test::read_file;
using ferry::test::run_process;
using ferry::test::TempDir;
using test::batch;
using test::header_for;
using test::hello;
using test::json_of;
using test::kAgent;
using test::kBinary;
using test::kSpool;
using test::kTenant;
using test::kToken;
using test::sealed_frame;
using test::Tenant;
using test::TestAgent;
using test::wait_until;
using test::welcome;

const std::string kRows1 =
    "{\"_op\":\"upsert\",\"id\":\"p1.a\"}\n{\"_op\":\"upsert\",\"id\":\"p1.b\"}\n";
const std::string kRows2 = "{\"_op\":\"delete\",\"id\":\"p1.a\"}\n";

TEST_CASE("serve welcomes an agent, stores a batch once, acks it and stops cleanly") {
  Tenant tenant;
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  CHECK(agent.selected_subprotocol() == "ferry.v1");

  const auto batch1 = batch(1, tenant.public_key(), kRows1);
  REQUIRE_FALSE(agent.send_binary(batch1));
  auto ack = json_of(agent.read());
  CHECK(ack.at("type") == "ack");
  CHECK(ack.at("seq") == 1);
  CHECK(ack.at("batch_id") == "batch-1");
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1);

  // The same batch again (its ack lost): acked, stored once.
  REQUIRE_FALSE(agent.send_binary(batch1));
  CHECK(json_of(agent.read()).at("type") == "ack");
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1);

  // A gap in the seqs: nack with retry, naming the seq expected.
  REQUIRE_FALSE(agent.send_binary(batch(3, tenant.public_key(), kRows2)));
  auto nack = json_of(agent.read());
  CHECK(nack.at("type") == "nack");
  CHECK(nack.at("seq") == 3);
  CHECK(nack.at("retry") == true);
  CHECK(nack.at("reason") == "out of order: expected seq 2");

  REQUIRE_FALSE(agent.send_binary(batch(2, tenant.public_key(), kRows2)));
  CHECK(json_of(agent.read()).at("seq") == 2);
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1 + kRows2);

  // A second connection learns what is settled.
  TestAgent again(tenant.ca());
  CHECK(welcome(again, tenant) == 2);

  REQUIRE(tenant.process().signal(SIGTERM));
  auto closed = again.read();
  CHECK(closed.error == boost::beast::websocket::error::closed);
  CHECK(again.close_code() == 1000);
  auto closed_first = agent.read();
  CHECK(closed_first.error == boost::beast::websocket::error::closed);
  CHECK(tenant.process().wait_for(std::chrono::seconds(10)) == 0);
  const auto log = tenant.log();
  CHECK_THAT(log, Catch::Contains("batch stored agent=school-042"));
  CHECK_THAT(log, !Catch::Contains("p1.a"));  // never a row value in the log
  CHECK_THAT(log, !Catch::Contains(kToken));
}

TEST_CASE("serve answers 401 to an unknown token and 400 to an upgrade without ferry.v1") {
  Tenant tenant;
  TestAgent stranger(tenant.ca());
  CHECK(stranger.connect(tenant.port(), "not-a-token"));
  CHECK(stranger.status() == 401);

  TestAgent old_client(tenant.ca());
  CHECK(old_client.connect(tenant.port(), kToken, /*offer_subprotocol=*/false));
  CHECK(old_client.status() == 400);

  Tenant refusing({"--refuse-tokens"});
  TestAgent refused(refusing.ca());
  CHECK(refused.connect(refusing.port(), kToken));
  CHECK(refused.status() == 401);
}

TEST_CASE("serve closes with 1008 when a hello or a batch names another agent") {
  Tenant tenant;
  TestAgent impostor(tenant.ca());
  REQUIRE_FALSE(impostor.connect(tenant.port(), kToken));
  REQUIRE_FALSE(impostor.send_text(hello("school-043")));
  auto closed = impostor.read();
  CHECK(closed.error == boost::beast::websocket::error::closed);
  CHECK(impostor.close_code() == 1008);

  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  auto header = header_for(1);
  header.agent_id = "school-043";
  REQUIRE_FALSE(agent.send_binary(sealed_frame(header, tenant.public_key(), kRows1)));
  CHECK(agent.read().error == boost::beast::websocket::error::closed);
  CHECK(agent.close_code() == 1008);
  CHECK_FALSE(std::filesystem::exists(tenant.out("school-043")));
}

TEST_CASE("serve rejects a batch that does not decrypt and counts its seq as settled") {
  Tenant tenant;
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  crypto::Bytes wrong_key(32, 9);
  REQUIRE_FALSE(agent.send_binary(batch(1, wrong_key, kRows1)));
  auto nack = json_of(agent.read());
  CHECK(nack.at("type") == "nack");
  CHECK(nack.at("retry") == false);
  CHECK(nack.at("seq") == 1);
  REQUIRE_FALSE(agent.send_binary(batch(2, tenant.public_key(), kRows2)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows2);

  // Not a frame at all: close 1007.
  REQUIRE_FALSE(agent.send_binary(crypto::as_bytes("hello")));
  CHECK(agent.read().error == boost::beast::websocket::error::closed);
  CHECK(agent.close_code() == 1007);
}

TEST_CASE("serve keeps answering pings while an ack waits out --ack-delay") {
  Tenant tenant({"--ack-delay", "1500ms"});
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  REQUIRE_FALSE(agent.send_binary(batch(1, tenant.public_key(), kRows1)));
  REQUIRE_FALSE(agent.ping());
  const auto sent = std::chrono::steady_clock::now();
  auto ack = json_of(agent.read());
  CHECK(ack.at("type") == "ack");
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(1000));
  // The pong was read before the ack: the tenant answered it while the ack was held back.
  CHECK(agent.pongs() == 1);
}

TEST_CASE("serve --drop-after drops the connection before the ack, the batch is then a duplicate") {
  Tenant tenant({"--drop-after", "1"});
  {
    TestAgent agent(tenant.ca());
    CHECK(welcome(agent, tenant) == 0);
    REQUIRE_FALSE(agent.send_binary(batch(1, tenant.public_key(), kRows1)));
    auto dropped = agent.read();
    CHECK(dropped.error);
    CHECK(dropped.error != boost::beast::websocket::error::closed);  // no close frame
  }
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 1);
  REQUIRE_FALSE(agent.send_binary(batch(1, tenant.public_key(), kRows1)));
  auto ack = json_of(agent.read());
  CHECK(ack.at("type") == "ack");
  CHECK(ack.at("seq") == 1);
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1);
}

TEST_CASE("serve sends --command after welcome, records command results and acks gaps") {
  Tenant tenant({"--command", "sync_now:sis", "--nack-retry", "5", "--reject", "6"});
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  auto command = json_of(agent.read());
  CHECK(command.at("type") == "command");
  CHECK(command.at("name") == "sync_now");
  CHECK(command.at("source") == "sis");
  boost::json::object result{{"type", "command_result"},
                             {"id", command.at("id")},
                             {"ok", true},
                             {"message", "sync of sis started"}};
  REQUIRE_FALSE(agent.send_text(boost::json::serialize(result)));

  REQUIRE_FALSE(agent.send_text(
      R"j({"type":"gap","from_seq":1,"to_seq":4,"rows":300,"reason":"spool full (when_full: drop_oldest)"})j"));
  auto gap_ack = json_of(agent.read());
  CHECK(gap_ack.at("type") == "gap_ack");
  CHECK(gap_ack.at("to_seq") == 4);

  const auto batch5 = batch(5, tenant.public_key(), kRows1);
  REQUIRE_FALSE(agent.send_binary(batch5));
  auto retry = json_of(agent.read());
  CHECK(retry.at("type") == "nack");
  CHECK(retry.at("retry") == true);
  REQUIRE_FALSE(agent.send_binary(batch5));
  CHECK(json_of(agent.read()).at("type") == "ack");
  REQUIRE_FALSE(agent.send_binary(batch(6, tenant.public_key(), kRows2)));
  auto rejected = json_of(agent.read());
  CHECK(rejected.at("type") == "nack");
  CHECK(rejected.at("retry") == false);
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1);

  CHECK(wait_until([&] {
    return read_file(tenant.out("school-042/commands.jsonl")).find("sync of sis started") !=
           std::string::npos;
  }));
  TestAgent again(tenant.ca());
  CHECK(welcome(again, tenant) == 6);
}

TEST_CASE("serve applies an erase batch: the subject's rows go, later ones are left out") {
  Tenant tenant;
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  REQUIRE_FALSE(agent.send_binary(batch(1, tenant.public_key(), kRows1)));
  CHECK(json_of(agent.read()).at("type") == "ack");

  auto erase = header_for(2, "", "");
  erase.kind = "erase";
  const std::string erase_line = "{\"domain\":\"person\",\"token\":\"p1.a\"}\n";
  REQUIRE_FALSE(agent.send_binary(sealed_frame(erase, tenant.public_key(), erase_line)));
  auto ack = json_of(agent.read());
  CHECK(ack.at("type") == "ack");
  CHECK(ack.at("seq") == 2);
  const std::string only_b = "{\"_op\":\"upsert\",\"id\":\"p1.b\"}\n";
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == only_b);
  CHECK(read_file(tenant.out("school-042/erase.jsonl")) == erase_line);

  // A later batch still carrying the erased token: acked, that row left out.
  REQUIRE_FALSE(agent.send_binary(batch(3, tenant.public_key(), kRows1)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == only_b + only_b);

  // An erase line without a token can never apply: refused for good, its seq settled.
  erase.seq = 4;
  erase.batch_id = "batch-4";
  REQUIRE_FALSE(agent.send_binary(
      sealed_frame(erase, tenant.public_key(), "{\"domain\":\"person\",\"token\":\"\"}\n")));
  auto nack = json_of(agent.read());
  CHECK(nack.at("type") == "nack");
  CHECK(nack.at("retry") == false);
  CHECK_THAT(std::string(nack.at("reason").as_string()), Catch::StartsWith("erase line 1 "));

  REQUIRE(tenant.process().signal(SIGTERM));
  CHECK(tenant.process().wait_for(std::chrono::seconds(10)) == 0);
  const auto log = tenant.log();
  CHECK_THAT(log, Catch::Contains("erase applied agent=school-042"));
  CHECK_THAT(log, Catch::Contains("rows_removed=1"));
  CHECK_THAT(log, Catch::Contains("rows of erased subjects left out agent=school-042"));
  CHECK_THAT(log, !Catch::Contains("p1.a"));  // counts only, never a token
}

// The most memory the process has held so far (VmHWM of /proc/PID/status), in bytes.
std::uint64_t peak_memory(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const std::size_t at = status.find("VmHWM:");
  REQUIRE(at != std::string::npos);
  return std::stoull(status.substr(at + 6)) * 1024;  // "VmHWM:     12345 kB"
}

// Sends `frame` (seq `seq`) and reads the answer, which must be a nack; returns it.
boost::json::object nacked(TestAgent& agent, crypto::ByteView frame, std::uint64_t seq) {
  REQUIRE_FALSE(agent.send_binary(frame));
  auto nack = json_of(agent.read());
  CHECK(nack.at("type") == "nack");
  CHECK(nack.at("seq") == seq);
  return nack;
}

std::string reason_of(const boost::json::object& nack) {
  return std::string(nack.at("reason").as_string());
}

TEST_CASE("serve refuses a zstd bomb for good without holding its plaintext") {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  Tenant tenant({"--max-batch-bytes", "1MiB"});
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  const std::string zeros(50 * kMiB, '\0');
  auto header = header_for(1);
  // As a Ferry agent compresses it (the frame declares 50 MiB), and as a streaming compressor
  // does (no size declared: the tenant only finds out by decompressing).
  auto compressed = frame::zstd_compress(zeros);
  REQUIRE(compressed);
  const crypto::Bytes declared = std::move(*compressed);
  const auto undeclared = test::zstd_without_size(zeros, 17);
  const std::uint64_t before = peak_memory(tenant.process().pid());

  for (const crypto::Bytes* payload : {&declared, &undeclared}) {
    auto sealed = frame::seal(header, tenant.public_key(), *payload);
    REQUIRE(sealed);
    REQUIRE(sealed->size() < 16 * 1024);
    auto nack = nacked(agent, *sealed, header.seq);
    CHECK(nack.at("retry") == false);
    CHECK_THAT(reason_of(nack),
               Catch::Contains("more than this tenant's --max-batch-bytes (1MiB)"));
    header.seq += 1;
    header.batch_id = "batch-" + std::to_string(header.seq);
  }
  // Both refused for good and settled; nothing of them written; the connection goes on.
  CHECK_FALSE(std::filesystem::exists(tenant.out("school-042/sis")));
  REQUIRE_FALSE(agent.send_binary(batch(3, tenant.public_key(), kRows1)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  // Double parentheses: a failure must not print the file, which could hold 50 MiB of zeros.
  CHECK((read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1));
  // 100 MiB of plaintext came in; the tenant's peak grew by less than a few times the limit.
  CHECK(peak_memory(tenant.process().pid()) - before < 8 * kMiB);
}

TEST_CASE("serve refuses for good a batch with a line that is not a JSON object") {
  Tenant tenant;
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  const std::string secret = "Ann Example";

  auto not_json = nacked(agent, batch(1, tenant.public_key(), kRows2 + secret + "\n"), 1);
  CHECK(not_json.at("retry") == false);
  CHECK_THAT(reason_of(not_json), Catch::StartsWith("line 2 is not JSON ("));
  CHECK_THAT(reason_of(not_json), !Catch::Contains(secret));

  auto array = nacked(agent, batch(2, tenant.public_key(), "[\"" + secret + "\"]\n" + kRows2), 2);
  CHECK(array.at("retry") == false);
  CHECK(reason_of(array) == "line 1 is an array, not a JSON object");

  // Both settled as rejected; nothing of them stored, nothing of them logged.
  CHECK_FALSE(std::filesystem::exists(tenant.out("school-042/sis")));
  TestAgent again(tenant.ca());
  CHECK(welcome(again, tenant) == 2);
  CHECK_THAT(tenant.log(), !Catch::Contains(secret));
}

TEST_CASE("serve refuses for good a batch whose lines are more or fewer than its rows") {
  Tenant tenant;
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  auto header = header_for(1);
  header.rows = 1;  // kRows1 has 2 lines
  auto more = nacked(agent, sealed_frame(header, tenant.public_key(), kRows1), 1);
  CHECK(more.at("retry") == false);
  CHECK(reason_of(more) ==
        "the payload has 2 lines but the header says rows 1: each row is one line");

  header = header_for(2);
  header.rows = 3;
  auto fewer = nacked(agent, sealed_frame(header, tenant.public_key(), kRows1), 2);
  CHECK(fewer.at("retry") == false);
  CHECK(reason_of(fewer) ==
        "the payload has 2 lines but the header says rows 3: each row is one line");

  CHECK_FALSE(std::filesystem::exists(tenant.out("school-042/sis")));
  REQUIRE_FALSE(agent.send_binary(batch(3, tenant.public_key(), kRows1)));
  CHECK(json_of(agent.read()).at("type") == "ack");
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1);
}

TEST_CASE("serve --max-bytes-per-minute asks an agent over its quota to retry later") {
  Tenant tenant({"--max-bytes-per-minute", "16B"});
  TestAgent agent(tenant.ca());
  CHECK(welcome(agent, tenant) == 0);
  // Below the quota (nothing yet this minute): stored, whatever its size.
  const auto batch1 = batch(1, tenant.public_key(), kRows1);
  REQUIRE_FALSE(agent.send_binary(batch1));
  CHECK(json_of(agent.read()).at("type") == "ack");

  auto over = nacked(agent, batch(2, tenant.public_key(), kRows2), 2);
  CHECK(over.at("retry") == true);
  REQUIRE(over.contains("retry_after"));
  const std::int64_t retry_after = over.at("retry_after").as_int64();
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 60);
  CHECK_THAT(reason_of(over), Catch::Contains("quota of 16B per minute"));
  CHECK_THAT(reason_of(over), Catch::Contains("--max-bytes-per-minute"));

  // Not settled: the batch waits for the agent to send it again. A duplicate costs nothing and is
  // still acked.
  REQUIRE_FALSE(agent.send_binary(batch1));
  CHECK(json_of(agent.read()).at("type") == "ack");
  CHECK(read_file(tenant.out("school-042/sis/users.jsonl")) == kRows1);
  TestAgent again(tenant.ca());
  CHECK(welcome(again, tenant) == 1);

  // Another agent has a quota of its own.
  TestAgent other(tenant.ca());
  REQUIRE_FALSE(other.connect(tenant.port(), "tok-043"));
  REQUIRE_FALSE(other.send_text(hello("school-043")));
  CHECK(json_of(other.read()).at("type") == "welcome");
  auto header = header_for(1);
  header.agent_id = "school-043";
  REQUIRE_FALSE(other.send_binary(sealed_frame(header, tenant.public_key(), kRows2)));
  CHECK(json_of(other.read()).at("type") == "ack");
}

}  // namespace
}  // namespace ferry::tenant
