// The typed control client against a real ControlServer on a temporary socket: each request's
// answer arrives parsed (status also byte for byte as the agent sent it), refusals and missing
// agents are errors that say so, and a request that waits holds up no other.
#include "agent/control/control_client.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "agent/control/control_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::control {
namespace {

using Catch::Matchers::Contains;

constexpr std::string_view kStatus =
    R"({"agent_id":"school-042","tenant_id":"district-7","version":"0.1.0",)"
    R"("uplink":{"state":"backoff","url":"wss://t.example/agent","last_error":"refused"},)"
    R"("spool":{"batches":3,"bytes":4096,"rejected":1},)"
    R"("sources":[{"name":"sis","type":"oneroster_csv","state":"error","runs":4,)"
    R"("rows_last_run":1200,"last_error":"export missing"},{"name":"hr","last_error":null}]})";

// A server that answers each cmd with a line the test chose.
struct Agent {
  test::TempDir dir;
  std::filesystem::path socket = dir / "control.sock";
  std::unique_ptr<ControlServer> server;
  std::vector<std::string> requests;
  std::mutex mutex;

  explicit Agent(std::function<std::string(const std::string&)> answer) {
    auto started =
        ControlServer::start(socket, [this, answer](const std::string& line, const Peer&) {
          {
            std::lock_guard lock(mutex);
            requests.push_back(line);
          }
          return answer(line);
        });
    REQUIRE(started);
    server = std::move(*started);
  }
};

TEST_CASE("status arrives typed, and byte for byte as the agent answered") {
  Agent agent([](const std::string&) { return std::string(kStatus); });
  auto status = ControlClient(agent.socket).status();
  REQUIRE(status);
  CHECK(agent.requests == std::vector<std::string>{R"({"cmd":"status"})"});
  CHECK(status->raw == kStatus);
  CHECK(status->agent_id == "school-042");
  CHECK(status->tenant_id == "district-7");
  CHECK(status->version == "0.1.0");
  CHECK(status->uplink.state == "backoff");
  CHECK(status->uplink.last_error == "refused");
  CHECK(status->spool.batches == 3);
  CHECK(status->spool.bytes == 4096);
  CHECK(status->spool.rejected == 1);
  REQUIRE(status->sources.size() == 2);
  const SourceReply* sis = status->source("sis");
  REQUIRE(sis != nullptr);
  CHECK(sis->state == "error");
  CHECK(sis->runs == 4);
  CHECK(sis->rows_last_run == 1200);
  CHECK(sis->last_error == "export missing");
  CHECK(status->source("hr")->last_error.empty());
  CHECK(status->source("nope") == nullptr);
  CHECK(status->json.at("sources").as_array().size() == 2);
}

TEST_CASE("sync_now, reload and ping answer their message, a refusal is an error saying why") {
  Agent agent([](const std::string& line) -> std::string {
    if (line.find("sync_now") != std::string::npos) {
      if (line.find("nope") != std::string::npos) return refusal_line("no source named 'nope'");
      return ok_line("sync of sis started");
    }
    if (line.find("reload") != std::string::npos) return refusal_line("ferry.yaml:3:5: bad");
    return ok_line();
  });
  const ControlClient client(agent.socket);
  auto started = client.sync_now({"sis"});
  REQUIRE(started);
  CHECK(*started == "sync of sis started");
  auto unknown = client.sync_now({"nope"});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::kInvalidArgument);
  CHECK(unknown.error().message == "the running agent refused: no source named 'nope'");
  auto reload = client.reload();
  REQUIRE_FALSE(reload);
  CHECK(reload.error().message == "the running agent refused the reload: ferry.yaml:3:5: bad");
  CHECK(client.ping());
  CHECK(agent.requests.at(0) == R"({"cmd":"sync_now","source":"sis"})");
  CHECK(agent.requests.back() == R"({"cmd":"ping"})");
}

TEST_CASE("erase sends tokens and reads the outcome, sync_wait reads each run") {
  Agent agent([](const std::string& line) -> std::string {
    if (line.find("erase") != std::string::npos) {
      return R"({"domain":"user","tokens":2,"new_tokens":1,"erase_seq":9,"digests_removed":4,)"
             R"("withheld_batches":1,"withheld_rows":30,"sources_reread":["sis"],)"
             R"("audit_error":"disk full","ok":true})";
    }
    return R"({"done":true,"runs":[{"name":"sis","outcome":"failed","rows_read":0,)"
           R"("error":"export missing"}],"spool":{"batches":0,"bytes":0,"rejected":0},"ok":true})";
  });
  const ControlClient client(agent.socket);
  auto erased = client.erase({"user", {"p1.AbC", "h1.xyz"}});
  REQUIRE(erased);
  CHECK(agent.requests.at(0) == R"({"cmd":"erase","domain":"user","tokens":["p1.AbC","h1.xyz"]})");
  CHECK(erased->domain == "user");
  CHECK(erased->tokens == 2);
  CHECK(erased->new_tokens == 1);
  CHECK(erased->erase_seq == 9);
  CHECK(erased->digests_removed == 4);
  CHECK(erased->withheld_batches == 1);
  CHECK(erased->withheld_rows == 30);
  CHECK(erased->sources_reread == std::vector<std::string>{"sis"});
  CHECK(erased->audit_error == "disk full");

  auto waited = client.sync_wait({{"sis"}, true, std::chrono::seconds(5)});
  REQUIRE(waited);
  CHECK(agent.requests.at(1) ==
        R"({"cmd":"sync_wait","sources":["sis"],"drain":true,"timeout_ms":5000})");
  CHECK(waited->done);
  REQUIRE(waited->runs.size() == 1);
  CHECK(waited->runs[0].outcome == "failed");
  CHECK(waited->runs[0].error == "export missing");
}

TEST_CASE("no agent, or an answer that is not one, is an error naming the socket") {
  test::TempDir dir;
  const ControlClient nobody(dir / "control.sock");
  auto status = nobody.status();
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::kUnavailable);
  CHECK(status.error().message ==
        "no agent is running (nothing listens on " + (dir / "control.sock").string() + ")");
  CHECK(nobody.erase({"user", {"p1.AbC"}}).error().code == ErrorCode::kUnavailable);

  Agent garbled([](const std::string&) { return std::string("not json"); });
  auto answer = ControlClient(garbled.socket).status();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().message ==
        "the agent's answer on " + garbled.socket.string() + " is not a JSON object");
  auto no_ok = ControlClient(garbled.socket).ping();
  REQUIRE_FALSE(no_ok);
  CHECK(no_ok.error().code == ErrorCode::kIo);
}

TEST_CASE("a request that waits in the agent holds up no other request") {
  std::mutex mutex;
  std::condition_variable cv;
  bool arrived = false;
  bool released = false;
  Agent agent([&](const std::string& line) -> std::string {
    if (line.find("sync_wait") == std::string::npos) return std::string(kStatus);
    std::unique_lock lock(mutex);
    arrived = true;
    cv.notify_all();
    // Held until the test has had its status answer (bounded, should the test fail first).
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return released; });
    return R"({"done":true,"runs":[],"spool":{},"ok":true})";
  });
  const ControlClient client(agent.socket);
  Result<SyncWaitReply> waited = make_error(ErrorCode::kInternal, "not answered");
  std::thread waiting([&] { waited = client.sync_wait({{}, false, std::chrono::seconds(30)}); });
  {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return arrived; }));
  }
  auto status = client.status();  // answered while the sync_wait waits
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  cv.notify_all();
  waiting.join();
  REQUIRE(status);
  CHECK(status->agent_id == "school-042");
  REQUIRE(waited);
  CHECK(waited->done);
}

}  // namespace
}  // namespace ferry::control
