#include "agent/control/socket_folder.hpp"

#include <fmt/format.h>

#include "agent/control/windows_pipe.hpp"

namespace ferry::control {

// Nothing to check: the channel is a named pipe, made by the agent with its own access list
// (control_server_windows.cpp).
Result<void> check_socket_folder(const std::filesystem::path&) { return {}; }

std::string describe_checked_channel(const std::filesystem::path& socket) {
  return fmt::format(
      "{}: local only, for SYSTEM, Administrators and the agent's account (the agent sets its "
      "access list)",
      windows::describe_pipe(socket));
}

}  // namespace ferry::control
