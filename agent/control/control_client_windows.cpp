#include "agent/control/control_client.hpp"

#include "common/error/path_text.hpp"

namespace ferry::control {

// No agent on Windows listens yet (control_server_windows.cpp): `ferry run` refuses to start
// there, so there is never one to talk to.
Result<std::string> request(const std::filesystem::path& path, const std::string&,
                            std::chrono::milliseconds) {
  return make_error(ErrorCode::kUnavailable, "no agent is running (nothing listens on {})",
                    path_text(path));
}

}  // namespace ferry::control
