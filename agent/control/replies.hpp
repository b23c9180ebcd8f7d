// The answers of the control socket (SPEC section 8, docs/protocol.md) as typed values, and their
// JSON: the agent writes them with to_json()/the *_line() helpers, the client reads them with
// parse_*(). Both sides use this file, so each answer is written and parsed in one place.
//
// Every answer is one JSON object on one line. A refusal is {"ok":false,"error":TEXT}; the
// `status` answer has no "ok" (SPEC section 8); every other success carries "ok":true.
//
// Plain values and pure functions: no threads, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "common/error/error.hpp"

namespace ferry::control {

// {"ok":false,"error":TEXT}
std::string refusal_line(std::string_view error);
// {"ok":true} and {"ok":true,"message":TEXT}
std::string ok_line();
std::string ok_line(std::string_view message);

// The refusal's text when `answer` is {"ok":false,...}; nullopt when it says "ok":true. A line
// that is neither is an error (kIo) naming `socket`.
Result<std::optional<std::string>> refusal_of(const boost::json::object& answer,
                                              std::string_view socket);
// One answer line as a JSON object, or kIo naming `socket`.
Result<boost::json::object> parse_answer(std::string_view line, std::string_view socket);

// What `ferry sync`, `ferry status` and the tests read of each source in the status answer.
struct SourceReply {
  std::string name;
  std::string type;
  std::string state;       // "idle", "running", "error"
  std::uint64_t runs = 0;  // runs ended since the agent (or its configuration) started
  std::uint64_t rows_last_run = 0;
  std::string last_error;  // "" for null
};

struct SpoolReply {
  std::uint64_t batches = 0;
  std::uint64_t bytes = 0;
  std::uint64_t rejected = 0;
};

struct UplinkReply {
  std::string state;  // "connected", "connecting", "backoff", "disabled"
  std::string url;
  std::string last_error;  // "" for null
};

// The answer to `status`. Fields the agent left out read as zero or "".
struct StatusReply {
  std::string raw;           // the line exactly as the agent answered it
  boost::json::object json;  // the same, parsed (control::render_status reads it)
  std::string agent_id;
  std::string tenant_id;
  std::string version;
  UplinkReply uplink;
  SpoolReply spool;
  std::vector<SourceReply> sources;

  const SourceReply* source(std::string_view name) const;
};

// kIo naming `socket` when `raw` is not a JSON object.
Result<StatusReply> parse_status(std::string raw, std::string_view socket);

// The answer to `erase` (without "ok"), and the "erase" entry of the audit log: counts, seqs and
// source names, never a token.
struct EraseReply {
  std::string domain;
  std::uint64_t tokens = 0;      // tokens given
  std::uint64_t new_tokens = 0;  // of those, not on the suppression list before
  std::uint64_t erase_seq = 0;
  std::uint64_t digests_removed = 0;
  std::uint64_t withheld_batches = 0;
  std::uint64_t withheld_rows = 0;
  std::vector<std::string> sources_reread;
  std::string audit_error;  // "" when the audit log recorded the erasure
};

// "audit_error" is written only when set.
boost::json::object to_json(const EraseReply& reply);
EraseReply parse_erase_reply(const boost::json::object& answer);

// How one source's run asked for by `sync_wait` ended.
struct RunReply {
  std::string name;
  std::string outcome;  // "succeeded", "failed", "paused" (the spool is full), "stopped"
  std::uint64_t rows_read = 0;
  std::string error;  // "" when the run got through without a problem
  std::uint64_t bad_rows = 0;    // rows the run could not read
  std::uint64_t bad_values = 0;  // values its field policy could not carry as they are
};

// The answer to `sync_wait` (without "ok"). `done` is false when the timeout passed first; the
// runs then say how far they got ("stopped": not ended yet).
struct SyncWaitReply {
  bool done = false;
  std::vector<RunReply> runs;
  SpoolReply spool;
  // Why the spool did not drain when the tenant refused the agent in a way retrying will not fix
  // (a rejected token, an untrusted certificate): the drain stopped waiting. "" otherwise.
  std::string uplink_refused;
};

boost::json::object to_json(const SyncWaitReply& reply);
SyncWaitReply parse_sync_wait_reply(const boost::json::object& answer);

}  // namespace ferry::control
