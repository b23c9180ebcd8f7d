// The other end of the control socket, for `ferry status`, `ferry sync` and `ferry erase` when an
// agent is running: request() sends one line and reads one line; ControlClient sends each request
// of requests.hpp and hands back its typed answer (replies.hpp).
//
// Errors, the same for every method: kUnavailable "no agent is running (nothing listens on
// PATH)"; kPermission when this user may not open the socket, or when what answers there runs
// neither as root nor as the socket file's owner (then nothing is sent to it: docs/security.md);
// kIo for a timeout or an answer that
// is not one; kInvalidArgument "the running agent refused...: TEXT" when the agent said no.
//
// Threads: no state but the path; each call opens its own connection.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "agent/control/replies.hpp"
#include "agent/control/requests.hpp"
#include "common/error/error.hpp"

namespace ferry::control {

Result<std::string> request(const std::filesystem::path& path, const std::string& line,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

class ControlClient {
 public:
  explicit ControlClient(std::filesystem::path socket) : socket_(std::move(socket)) {}

  const std::filesystem::path& socket() const { return socket_; }

  Result<StatusReply> status() const;
  // The message the agent answered ("sync of sis started").
  Result<std::string> sync_now(const SyncNowRequest& request) const;
  // Waits up to the request's timeout, and a little longer for the answer to arrive.
  Result<SyncWaitReply> sync_wait(const SyncWaitRequest& request) const;
  // The agent fsyncs the suppression list, the spool and the audit log: this waits up to 120 s.
  Result<EraseReply> erase(const EraseRequest& request) const;
  // What the reload applied; waits up to 90 s (the agent allows a reload 60 s).
  Result<std::string> reload() const;
  Result<void> ping() const;
  // An agent that holds the data_dir may still be starting: its control socket opens once its
  // spool is open. Pings until it answers (retrying while nothing listens, at growing intervals
  // of at most half a second), or `deadline` passes: then the last error.
  Result<void> ping_until(std::chrono::steady_clock::time_point deadline) const;

 private:
  // The answer to `line` as an object, or the refusal as kInvalidArgument "`refused`: TEXT".
  Result<boost::json::object> ask(const std::string& line, std::chrono::milliseconds timeout,
                                  std::string_view refused) const;

  std::filesystem::path socket_;
};

}  // namespace ferry::control
