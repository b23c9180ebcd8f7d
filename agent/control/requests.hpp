// The requests of the control socket (SPEC section 8, docs/protocol.md) as typed values, and their
// one JSON line each way: the client writes them with to_line(), the agent's dispatcher reads them
// with parse_*(). Both sides use this file, so the wire format lives in one place.
//
// Plain values and pure functions: no threads, no state.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/error/error.hpp"

namespace ferry::control {

// {"cmd":"sync_now"[,"source":NAME]}: start a run of one source (or of every source) now.
struct SyncNowRequest {
  std::optional<std::string> source;  // nullopt: every source
};

// {"cmd":"erase","domain":D,"tokens":[T...]}: `ferry erase` hands its work to the agent that owns
// the spool. Tokens only: the values they stand for never cross the socket.
struct EraseRequest {
  std::string domain;
  std::vector<std::string> tokens;
};

// {"cmd":"sync_wait","sources":[NAME...],"drain":BOOL,"timeout_ms":N}: start a run of each named
// source (every source when empty) and answer once those runs have ended and, with `drain`, the
// spool holds nothing left to send; or when `timeout` passes first. (An extension: `ferry sync`
// hands its work over with it instead of polling `status`.)
struct SyncWaitRequest {
  std::vector<std::string> sources;
  bool drain = false;
  std::chrono::milliseconds timeout{0};
};

// The longest a sync_wait may ask to wait: a day.
inline constexpr std::chrono::milliseconds kMaxSyncWait = std::chrono::hours(24);

std::string status_line();
std::string ping_line();
std::string reload_line();
std::string to_line(const SyncNowRequest& request);
std::string to_line(const EraseRequest& request);
std::string to_line(const SyncWaitRequest& request);

// Each fails with kInvalidArgument and a message naming the field when `request` does not carry
// what its cmd needs.
Result<SyncNowRequest> parse_sync_now(const boost::json::object& request);
Result<EraseRequest> parse_erase(const boost::json::object& request);
Result<SyncWaitRequest> parse_sync_wait(const boost::json::object& request);

}  // namespace ferry::control
