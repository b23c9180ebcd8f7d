// The agent's side of the control socket: reads one request line, routes it by "cmd" to the
// RequestHandler that the running agent implements, and writes the one answer line. Every
// refusal, whether of a malformed line, an unknown cmd, bad arguments or a handler's error, is
// {"ok":false,"error":TEXT}.
//
// Threads: dispatch() is called on the control server's threads, several requests at once; the
// handler must allow that. dispatch() itself holds no state.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "agent/control/replies.hpp"
#include "agent/control/requests.hpp"
#include "common/env/user.hpp"
#include "common/error/error.hpp"

namespace ferry::control {

// What the running agent does for each request. An error's message is the refusal's text, so it
// is written for the admin who ran the command. `caller` is the uid of the user who asked (the
// kernel's word, SO_PEERCRED): requests that act record it in the audit log.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // The status JSON of SPEC section 8, answered as it is (no "ok").
  virtual Result<boost::json::object> status() = 0;
  // A run was asked for: the message says which.
  virtual Result<std::string> sync_now(const SyncNowRequest& request,
                                       const env::UserId& caller) = 0;
  // Blocks until the runs ended (and the spool drained) or the request's timeout passed.
  virtual Result<SyncWaitReply> sync_wait(const SyncWaitRequest& request,
                                          const env::UserId& caller) = 0;
  virtual Result<EraseReply> erase(const EraseRequest& request, const env::UserId& caller) = 0;
  // The configuration was reloaded: the message says what runs now.
  virtual Result<std::string> reload(const env::UserId& caller) = 0;
  virtual Result<void> ping() { return {}; }
};

// One request line (without its newline) from user `caller` in, one answer line (likewise) out.
std::string dispatch(std::string_view line, RequestHandler& handler, const env::UserId& caller);

}  // namespace ferry::control
