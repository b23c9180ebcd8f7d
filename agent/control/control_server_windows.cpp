#include "agent/control/control_server.hpp"

#include "common/error/path_text.hpp"

namespace ferry::control {

// Windows has no control channel yet: the named pipe comes with the Windows service
// (docs/windows.md). `ferry run` stops at this step rather than run an agent nobody can ask.
struct ControlServer::Impl {};

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::filesystem::path& path,
                                                            Handler) {
  return make_error(ErrorCode::kUnavailable,
                    "agent.control_socket {}: this Windows build has no control channel yet, so "
                    "'ferry run' cannot be asked for its status or to stop; use 'ferry sync' to "
                    "poll and deliver once (docs/windows.md)",
                    path_text(path));
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlServer::~ControlServer() = default;
void ControlServer::stop() {}

}  // namespace ferry::control
