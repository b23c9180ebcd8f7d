// One audit entry as a line of text: building it, parsing its fixed fields, and the chain position
// it leaves behind. Internal to common/audit; audit_log.hpp is the contract.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/error/error.hpp"

namespace ferry::audit::detail {

// The log's own events; callers cannot append them.
inline constexpr std::string_view kTrimmedEvent = "audit_trimmed";
inline constexpr std::string_view kRepairedEvent = "audit_tail_repaired";

// The prev of the first entry ever written.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// A line whose fixed fields are well formed. It does not say the chain is intact.
struct ParsedLine {
  std::uint64_t seq = 0;
  std::string at;
  std::chrono::system_clock::time_point at_time;
  std::string event;
  std::string prev;
  std::string removed_last_hash;  // audit_trimmed only: the prev the next line must carry
  boost::json::object object;
};

// Parses one line (without its newline). The error message is the plain problem, without the
// line number: "not a JSON object", "\"prev\" is not 64 lowercase hex digits".
Result<ParsedLine> parse_line(std::string_view line);

// Refuses what append() must not write: a malformed or reserved event name, a field named like one
// of the fixed fields.
Result<void> check_caller_entry(std::string_view event, const boost::json::object& fields);

// The line for an entry: seq, at, event, prev first, then `fields` in their order. No newline.
std::string format_line(std::uint64_t seq, std::string_view at, std::string_view event,
                        std::string_view prev, const boost::json::object& fields);

// Where the chain stands after a line: the next entry gets seq + 1 and prev = hash.
struct ChainPoint {
  std::uint64_t seq = 0;
  std::string hash = std::string(kGenesisHash);
};

// For an ordinary entry: its seq and the hash of its bytes. For an audit_trimmed anchor: the
// removed entry it stands for (its seq and removed_last_hash).
Result<ChainPoint> chain_point_after(const ParsedLine& parsed, std::string_view line);

bool is_hash(std::string_view text);

// A JSON whole number greater than zero; nullopt for anything else (or a null pointer).
std::optional<std::uint64_t> read_positive(const boost::json::value* value);

}  // namespace ferry::audit::detail
