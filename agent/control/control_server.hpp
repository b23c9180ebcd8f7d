// The control socket of `ferry run` (SPEC section 8): a Unix domain stream socket, mode 0660, one
// JSON request a line and one JSON response a line. What a request does is the handler's
// business; this class only carries lines. (Windows will use a named pipe behind the same seam.)
//
// Threads: one thread of its own accepts and reads every connection; the handler is called on a
// small pool of threads of its own, so requests from different connections are answered at once
// (a `sync_wait` that waits minutes holds up no `status`); one connection's requests are answered
// in order. stop() (and the destructor) closes the socket, removes the file, and joins once the
// handler calls in progress have returned: the handler must end its waits when the agent stops.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/error/error.hpp"

namespace ferry::control {

// Gets one request line (without its newline) and returns one response line (likewise). Called on
// several threads at once.
using Handler = std::function<std::string(const std::string& request)>;

class ControlServer {
 public:
  // Binds the socket (replacing a stale file that nobody listens on; refusing when another
  // process answers there) and starts serving.
  static Result<std::unique_ptr<ControlServer>> start(const std::filesystem::path& path,
                                                      Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  void stop();

 private:
  struct Impl;
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::control
