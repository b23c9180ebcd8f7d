#include "agent/control/socket_folder.hpp"

namespace ferry::control {

// Nothing to check: this Windows build opens no control channel (control_server_windows.cpp).
Result<void> check_socket_folder(const std::filesystem::path&) { return {}; }

}  // namespace ferry::control
