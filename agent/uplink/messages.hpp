// The JSON control messages of the uplink protocol (docs/protocol.md): what the agent writes and
// parses. Batches travel as binary frames (common/frame) and are not handled here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

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

// A message of a type this version does not know: ignored (later versions may add some).
struct UnknownMessage {
  std::string type;
};

using Incoming = std::variant<Welcome, Ack, Nack, GapAck, Command, UnknownMessage>;

// Parses one text message from the tenant. kCorrupt with a short reason when it is not a JSON
// object, has no string `type`, or lacks a key its type requires.
Result<Incoming> parse_incoming(std::string_view text);

std::string to_json(const Hello& hello);
std::string gap_json(std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                     std::string_view reason);
std::string command_result_json(std::string_view id_json, bool ok, std::string_view message);

}  // namespace ferry::uplink
