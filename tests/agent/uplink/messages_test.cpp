// The uplink's JSON messages: what the agent writes is what docs/protocol.md shows, and what it
// reads from a tenant is checked before it is trusted.
#include "agent/uplink/messages.hpp"

#include <catch2/catch.hpp>

using namespace ferry::uplink;

TEST_CASE("hello carries every key of SPEC section 6") {
  const Hello hello{"school-042", "district-7", "0f1e2d3c-aaaa-4bbb-8ccc-123456789abc", "0.1.0",
                    58};
  CHECK(to_json(hello) ==
        R"({"type":"hello","v":1,"agent_id":"school-042","tenant_id":"district-7",)"
        R"("spool_id":"0f1e2d3c-aaaa-4bbb-8ccc-123456789abc","agent_version":"0.1.0",)"
        R"("next_seq":58})");
}

TEST_CASE("gap and command_result are written as the protocol shows them") {
  CHECK(gap_json(5, 9, 1200, "spool full") ==
        R"({"type":"gap","from_seq":5,"to_seq":9,"rows":1200,"reason":"spool full"})");
  CHECK(command_result_json(R"("c-1")", true, "sync of sis started") ==
        R"({"type":"command_result","id":"c-1","ok":true,"message":"sync of sis started"})");
  CHECK(command_result_json("7", false, "no") ==
        R"({"type":"command_result","id":7,"ok":false,"message":"no"})");
}

TEST_CASE("the tenant's messages are parsed into their types") {
  auto welcome = parse_incoming(R"({"type":"welcome","v":1,"acked_through":41})");
  REQUIRE(welcome);
  CHECK(std::get<Welcome>(*welcome).acked_through == 41);

  auto ack = parse_incoming(R"({"type":"ack","seq":42,"batch_id":"b-42"})");
  REQUIRE(ack);
  CHECK(std::get<Ack>(*ack).seq == 42);
  CHECK(std::get<Ack>(*ack).batch_id == "b-42");

  auto nack =
      parse_incoming(R"({"type":"nack","seq":3,"batch_id":"b","retry":false,"reason":"r"})");
  REQUIRE(nack);
  CHECK_FALSE(std::get<Nack>(*nack).retry);
  CHECK(std::get<Nack>(*nack).reason == "r");

  auto gap_ack = parse_incoming(R"({"type":"gap_ack","to_seq":9})");
  REQUIRE(gap_ack);
  CHECK(std::get<GapAck>(*gap_ack).to_seq == 9);

  auto command = parse_incoming(R"({"type":"command","id":12,"name":"sync_now","source":"sis"})");
  REQUIRE(command);
  CHECK(std::get<Command>(*command).id_json == "12");
  CHECK(std::get<Command>(*command).source == "sis");

  auto unknown = parse_incoming(R"({"type":"news","text":"hi"})");
  REQUIRE(unknown);
  CHECK(std::get<UnknownMessage>(*unknown).type == "news");
}

TEST_CASE("text from the tenant is escaped before anything logs or prints it") {
  // A nack reason that would forge a log line and clear the screen of whoever runs ferry status.
  auto nack = parse_incoming(
      R"({"type":"nack","seq":3,"batch_id":"b\u001b[2J","retry":false,)"
      R"("reason":"bad\n2026-12-05T10:00:00Z info [uplink] acked seq=3\u001b[2J\u009b"})");
  REQUIRE(nack);
  const auto& parsed = std::get<Nack>(*nack);
  CHECK(parsed.reason ==
        "bad\\n2026-12-05T10:00:00Z info [uplink] acked seq=3\\x1b[2J\\u{009b}");
  CHECK(parsed.batch_id == "b\\x1b[2J");
  auto command = parse_incoming(
      R"({"type":"command","id":"c\u0007","name":"sync_now\r","source":"sis\u001b]0;owned\u0007"})");
  REQUIRE(command);
  const auto& obeyed = std::get<Command>(*command);
  CHECK(obeyed.name == "sync_now\\r");
  CHECK(obeyed.source == "sis\\x1b]0;owned\\x07");
  CHECK(obeyed.id_json == R"("c\u0007")");  // echoed back as JSON: no raw control character
  auto unknown = parse_incoming(R"({"type":"x\ny"})");
  REQUIRE(unknown);
  CHECK(std::get<UnknownMessage>(*unknown).type == "x\\ny");
}

TEST_CASE("a malformed message from the tenant is an error that says what is wrong") {
  CHECK(parse_incoming("not json").error().message.starts_with("not JSON"));
  CHECK(parse_incoming("[1]").error().message == "not a JSON object");
  CHECK(parse_incoming(R"({"seq":1})").error().message == "no 'type'");
  CHECK(parse_incoming(R"({"type":"ack","seq":-1,"batch_id":"b"})").error().message ==
        "'ack' message: 'seq' is not a whole number >= 0");
  CHECK(parse_incoming(R"({"type":"welcome"})").error().message ==
        "'welcome' message: no 'acked_through'");
  CHECK(parse_incoming(R"({"type":"nack","seq":1,"batch_id":"b","retry":"yes"})").error().message ==
        "'nack' message: 'retry' is not true or false");
}

TEST_CASE("welcome may name the tenant key it wants batches sealed to") {
  auto named =
      parse_incoming(R"({"type":"welcome","v":1,"acked_through":0,"key_id":"300c9c9603b92a4b"})");
  REQUIRE(named);
  CHECK(std::get<Welcome>(*named).key_id == "300c9c9603b92a4b");
  auto unnamed = parse_incoming(R"({"type":"welcome","v":1,"acked_through":0})");
  REQUIRE(unnamed);
  CHECK(std::get<Welcome>(*unnamed).key_id.empty());
  CHECK(parse_incoming(R"({"type":"welcome","acked_through":0,"key_id":7})").error().message ==
        "'welcome' message: 'key_id' is not a string");
}

TEST_CASE("a rekey_request is parsed with its tokens and an oversized one is not copied") {
  auto request =
      parse_incoming(R"({"type":"rekey_request","id":"r-1","tokens":["p1.abc","h1.def"]})");
  REQUIRE(request);
  const auto& parsed = std::get<RekeyRequest>(*request);
  CHECK(parsed.id_json == R"("r-1")");
  CHECK(parsed.count == 2);
  CHECK(parsed.tokens == std::vector<std::string>{"p1.abc", "h1.def"});

  std::string many = R"({"type":"rekey_request","id":9,"tokens":[)";
  for (std::size_t i = 0; i <= kMaxRekeyTokens; ++i) many += i == 0 ? "\"p1.x\"" : ",\"p1.x\"";
  many += "]}";
  auto oversized = parse_incoming(many);
  REQUIRE(oversized);
  CHECK(std::get<RekeyRequest>(*oversized).count == kMaxRekeyTokens + 1);
  CHECK(std::get<RekeyRequest>(*oversized).tokens.empty());

  CHECK(parse_incoming(R"({"type":"rekey_request","id":1,"tokens":"p1.a"})").error().message ==
        "'rekey_request' message: 'tokens' is not an array");
  CHECK(parse_incoming(R"({"type":"rekey_request","id":1,"tokens":[1]})").error().message ==
        "'rekey_request' message: 'tokens' holds a non-string");
  CHECK(parse_incoming(R"({"type":"rekey_request","tokens":[]})").error().message ==
        "'rekey_request' message: rekey_request without a string or number 'id'");
}

TEST_CASE("rekey_result is written as the protocol shows it") {
  CHECK(rekey_result_json(R"("r-1")", true, {3, 1, 2, 57}, "3 of 6 tokens mapped") ==
        R"({"type":"rekey_result","id":"r-1","ok":true,"mapped":3,"unknown":1,"current":2,)"
        R"("seq":57,"message":"3 of 6 tokens mapped"})");
}
