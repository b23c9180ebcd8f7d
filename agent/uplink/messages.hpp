// The JSON control messages of the uplink protocol (docs/protocol.md): what the agent writes and
// parses. Batches travel as binary frames (common/frame) and are not handled here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::uplink {

struct Hello {
  std::string agent_id;
  std::string tenant_id;
  std::string spool_id;
  std::string agent_version;
  std::uint64_t next_seq = 1;
};

struct Welcome {
  std::uint64_t acked_through = 0;
  // The id of the tenant key it wants new batches sealed to (frame::tenant_key_id); "" when the
  // tenant does not say. Escaped like every text the tenant sends.
  std::string key_id;
};

struct Ack {
  std::uint64_t seq = 0;
  std::string batch_id;
};

struct Nack {
  std::uint64_t seq = 0;
  std::string batch_id;
  bool retry = true;
  std::string reason;
};

struct GapAck {
  std::uint64_t to_seq = 0;
};

struct Command {
  std::string id_json;  // the id exactly as sent (a JSON string or number), echoed back
  std::string name;
  std::string source;  // "" for all sources
};

// Tokens one rekey_request may carry; a larger request is refused as a whole.
inline constexpr std::size_t kMaxRekeyTokens = 1000;

// The tenant asks for maps of the tokens it holds (docs/protocol.md, "Re-key requests").
struct RekeyRequest {
  std::string id_json;              // the id exactly as sent, echoed back
  std::vector<std::string> tokens;  // as sent (never logged); empty when count is over the limit
  std::size_t count = 0;            // how many the message held
};

// What the agent did with a rekey_request.
struct RekeyOutcome {
  std::uint64_t mapped = 0;   // tokens of an older key version, mapped to the active one
  std::uint64_t unknown = 0;  // hash tokens, and tokens that could not (or may not) be revealed
  std::uint64_t current = 0;  // tokens already of the active version: nothing to map
  std::uint64_t seq = 0;      // of the rekey batch holding the maps; 0 when nothing was mapped
};

// A message of a type this version does not know: ignored (later versions may add some).
struct UnknownMessage {
  std::string type;
};

using Incoming = std::variant<Welcome, Ack, Nack, GapAck, Command, RekeyRequest, UnknownMessage>;

// Parses one text message from the tenant. kCorrupt with a short reason when it is not a JSON
// object, has no string `type`, or lacks a key its type requires.
Result<Incoming> parse_incoming(std::string_view text);

std::string to_json(const Hello& hello);
std::string gap_json(std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                     std::string_view reason);
std::string command_result_json(std::string_view id_json, bool ok, std::string_view message);
// {"type":"rekey_result","id":I,"ok":B,"mapped":N,"unknown":U,"current":C,"seq":S,"message":M}
std::string rekey_result_json(std::string_view id_json, bool ok, const RekeyOutcome& outcome,
                              std::string_view message);

}  // namespace ferry::uplink
