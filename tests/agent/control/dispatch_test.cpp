// The control socket's dispatcher: every cmd reaches its handler with its arguments parsed, every
// answer is one JSON object, and whatever is wrong (a malformed line, an unknown cmd, bad
// arguments, a handler's error) is refused the same way: {"ok":false,"error":TEXT}.
#include "agent/control/dispatch.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/crypto/tokens.hpp"

namespace ferry::control {
namespace {

namespace json = boost::json;

// Records what it was asked and answers what the test set.
class FakeHandler : public RequestHandler {
 public:
  Result<json::object> status() override {
    calls.push_back("status");
    return json::object{{"agent_id", "school-042"}, {"sources", json::array{}}};
  }
  Result<std::string> sync_now(const SyncNowRequest& request, const env::UserId& caller) override {
    calls.push_back("sync_now");
    callers.push_back(caller);
    sync_now_asked = request;
    if (request.source == "nope") return make_error(ErrorCode::kNotFound, "no source named 'nope'");
    return std::string("sync of ") + request.source.value_or("every source") + " started";
  }
  Result<SyncWaitReply> sync_wait(const SyncWaitRequest& request,
                                  const env::UserId& caller) override {
    calls.push_back("sync_wait");
    callers.push_back(caller);
    sync_wait_asked = request;
    SyncWaitReply reply;
    reply.done = true;
    reply.runs.push_back({"sis", "succeeded", 1200, ""});
    reply.spool = {2, 4096, 1};
    return reply;
  }
  Result<EraseReply> erase(const EraseRequest& request, const env::UserId& caller) override {
    calls.push_back("erase");
    callers.push_back(caller);
    erase_asked = request;
    EraseReply reply;
    reply.domain = request.domain;
    reply.tokens = request.tokens.size();
    reply.erase_seq = 7;
    return reply;
  }
  Result<std::string> reload(const env::UserId& caller) override {
    calls.push_back("reload");
    callers.push_back(caller);
    if (refuse_reload) return make_error(ErrorCode::kConfig, "ferry.yaml:3:5: unknown key");
    return std::string("configuration reloaded");
  }

  std::vector<std::string> calls;
  std::vector<env::UserId> callers;  // of the requests that act, in order
  SyncNowRequest sync_now_asked;
  SyncWaitRequest sync_wait_asked;
  EraseRequest erase_asked;
  bool refuse_reload = false;
};

// Real tokens (the dispatcher checks that each is one), and their request line.
std::vector<std::string> two_tokens() {
  crypto::Bytes secret(32, 7);
  std::vector<std::string> tokens(2);
  REQUIRE(crypto::Pseudonymizer::create(secret, 1, "user").value().pseudonymize("a", tokens[0]));
  REQUIRE(crypto::Hasher::create(secret, 1, "user").value().hash("a", tokens[1]));
  return tokens;
}

std::string erase_line(std::string_view domain, const std::vector<std::string>& tokens) {
  return to_line(EraseRequest{std::string(domain), tokens});
}

// The uid the tests' requests come from.
// Who asked: a uid on POSIX, a SID on Windows (common/env/user.hpp).
#if defined(_WIN32)
const env::UserId kCaller = "S-1-5-21-1-2-3-4242";
#else
constexpr env::UserId kCaller = 4242;
#endif

json::object answer_to(std::string_view line, FakeHandler& handler) {
  const std::string answer = dispatch(line, handler, kCaller);
  CHECK(answer.find('\n') == std::string::npos);
  auto value = json::parse(answer);
  REQUIRE(value.is_object());
  return value.as_object();
}

void check_refused(const json::object& answer, std::string_view error) {
  CHECK(answer.at("ok") == false);
  CHECK(answer.at("error").as_string() == error);
}

TEST_CASE("status answers the handler's JSON as it is, without \"ok\"") {
  FakeHandler handler;
  CHECK(dispatch(R"({"cmd":"status"})", handler, kCaller) ==
        R"({"agent_id":"school-042","sources":[]})");
  CHECK(handler.calls == std::vector<std::string>{"status"});
}

TEST_CASE("sync_now passes the source, or none for every source, and answers the message") {
  FakeHandler handler;
  auto one = answer_to(R"({"cmd":"sync_now","source":"sis"})", handler);
  CHECK(one.at("ok") == true);
  CHECK(one.at("message") == "sync of sis started");
  CHECK(handler.sync_now_asked.source == "sis");
  auto every = answer_to(R"({"cmd":"sync_now"})", handler);
  CHECK(every.at("message") == "sync of every source started");
  CHECK_FALSE(handler.sync_now_asked.source);
  check_refused(answer_to(R"({"cmd":"sync_now","source":"nope"})", handler),
                "no source named 'nope'");
}

TEST_CASE("sync_wait parses its sources, drain and timeout, and answers each run") {
  FakeHandler handler;
  auto answer = answer_to(
      R"({"cmd":"sync_wait","sources":["sis","hr"],"drain":true,"timeout_ms":30000})", handler);
  CHECK(handler.sync_wait_asked.sources == std::vector<std::string>{"sis", "hr"});
  CHECK(handler.sync_wait_asked.drain);
  CHECK(handler.sync_wait_asked.timeout == std::chrono::seconds(30));
  CHECK(answer.at("ok") == true);
  const auto reply = parse_sync_wait_reply(answer);
  CHECK(reply.done);
  REQUIRE(reply.runs.size() == 1);
  CHECK(reply.runs[0].name == "sis");
  CHECK(reply.runs[0].outcome == "succeeded");
  CHECK(reply.runs[0].rows_read == 1200);
  CHECK(reply.runs[0].error.empty());
  CHECK(answer.at("runs").as_array().at(0).as_object().at("error").is_null());
  CHECK(reply.spool.batches == 2);
  CHECK(reply.spool.rejected == 1);

  const std::string needs_timeout =
      "sync_wait needs \"timeout_ms\": a whole number of milliseconds from 1 to 86400000";
  check_refused(answer_to(R"({"cmd":"sync_wait"})", handler), needs_timeout);
  check_refused(answer_to(R"({"cmd":"sync_wait","timeout_ms":0})", handler), needs_timeout);
  check_refused(answer_to(R"({"cmd":"sync_wait","timeout_ms":"10m"})", handler), needs_timeout);
  check_refused(answer_to(R"({"cmd":"sync_wait","sources":"sis","timeout_ms":5})", handler),
                "sync_wait: \"sources\" must be an array of source names");
  check_refused(answer_to(R"({"cmd":"sync_wait","drain":1,"timeout_ms":5})", handler),
                "sync_wait: \"drain\" must be true or false");
  CHECK(handler.calls == std::vector<std::string>{"sync_wait"});
}

TEST_CASE("erase takes a domain and tokens only, and answers the outcome with ok") {
  FakeHandler handler;
  const auto tokens = two_tokens();
  auto answer = answer_to(erase_line("user", tokens), handler);
  CHECK(handler.erase_asked.domain == "user");
  CHECK(handler.erase_asked.tokens == tokens);
  CHECK(answer.at("ok") == true);
  CHECK(answer.at("erase_seq") == 7);
  CHECK(parse_erase_reply(answer).tokens == 2);
  CHECK_FALSE(answer.contains("audit_error"));

  const std::string needs = "erase needs a string \"domain\" and a non-empty array \"tokens\"";
  check_refused(answer_to(R"({"cmd":"erase","tokens":["p1.AbC"]})", handler), needs);
  check_refused(answer_to(erase_line("user", {}), handler), needs);
  check_refused(answer_to(erase_line("user", {tokens[0], "alice"}), handler),
                "erase: every item of \"tokens\" must be a pseudonym or hash token");
  check_refused(answer_to(erase_line("User!", tokens), handler),
                "erase: \"domain\" is not a valid domain ([a-z0-9_.-]+)");
  CHECK(handler.calls == std::vector<std::string>{"erase"});
}

TEST_CASE("reload answers what the handler applied, or its refusal") {
  FakeHandler handler;
  auto applied = answer_to(R"({"cmd":"reload"})", handler);
  CHECK(applied.at("ok") == true);
  CHECK(applied.at("message") == "configuration reloaded");
  handler.refuse_reload = true;
  check_refused(answer_to(R"({"cmd":"reload"})", handler), "ferry.yaml:3:5: unknown key");
}

TEST_CASE("ping answers ok") {
  FakeHandler handler;
  CHECK(dispatch(R"({"cmd":"ping"})", handler, kCaller) == R"({"ok":true})");
}

TEST_CASE("a line that is not a request is refused, and no handler is called") {
  FakeHandler handler;
  const std::string malformed = "a request is one JSON object a line with a string \"cmd\"";
  for (std::string_view line :
       {"", "status", "{", "[]", R"({"command":"status"})", R"({"cmd":7})", R"("status")"}) {
    INFO(line);
    check_refused(answer_to(line, handler), malformed);
  }
  CHECK(handler.calls.empty());
}

TEST_CASE("an unknown cmd is refused, naming the known ones") {
  FakeHandler handler;
  check_refused(answer_to(R"({"cmd":"shutdown"})", handler),
                "unknown cmd 'shutdown' (known: status, sync_now, sync_wait, erase, reload, ping)");
  CHECK(handler.calls.empty());
}

TEST_CASE("the caller's uid reaches every request that acts") {
  FakeHandler handler;
  const auto tokens = two_tokens();
  answer_to(R"({"cmd":"sync_now"})", handler);
  answer_to(R"({"cmd":"sync_wait","sources":[],"drain":false,"timeout_ms":1000})", handler);
  answer_to(erase_line("user", tokens), handler);
  answer_to(R"({"cmd":"reload"})", handler);
  CHECK(handler.calls == std::vector<std::string>{"sync_now", "sync_wait", "erase", "reload"});
  CHECK(handler.callers == std::vector<env::UserId>{kCaller, kCaller, kCaller, kCaller});
}

}  // namespace
}  // namespace ferry::control
