// The control socket of `ferry run` (SPEC section 8): a Unix domain stream socket, mode 0660, one
// JSON request a line and one JSON response a line. What a request does is the handler's
// business; this class only carries lines. (On Windows: a named pipe,
// control_server_windows.cpp.)
//
// Who may talk (peer.hpp): each connection's peer is asked of the kernel (SO_PEERCRED) as it is
// accepted. Root, the agent's own user and the members of the socket file's group get answers;
// anyone else gets one refusal line ({"ok":false,"error":...} saying how an admin lets them in)
// and the connection is closed, and the agent's log warns (the user, never what was asked).
// The socket's folder must be writable by its owner only (socket_folder.hpp).
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

#include "agent/control/peer.hpp"
#include "common/error/error.hpp"

namespace ferry::control {

// Gets one request line (without its newline) from `peer` (whom the server let in) and returns
// one response line (likewise). Called on several threads at once.
using Handler = std::function<std::string(const std::string& request, const Peer& peer)>;

class ControlServer {
 public:
  // Binds the socket (replacing a stale file that nobody listens on; refusing when another
  // process answers there, or when its folder is writable by others) and starts serving.
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
