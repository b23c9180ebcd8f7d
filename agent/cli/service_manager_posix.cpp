// `ferry service` on Linux (service_manager.hpp): systemd runs the agent; the package installs
// its unit. Each call says so.
#include "agent/cli/service_manager.hpp"

#include <fmt/format.h>

namespace ferry::cli {
namespace {

Error not_here() {
  return Error{ErrorCode::kInvalidArgument,
               "ferry service is for Windows; on Linux the package installs the systemd unit: "
               "systemctl enable --now ferry (docs/install-linux.md)"};
}

}  // namespace

Result<std::filesystem::path> this_program() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot tell where this program is: {}", ec.message());
  return path;
}

Result<InstallReport> install_service(const ServiceSettings& settings) {
  (void)settings;
  return tl::unexpected(not_here());
}
Result<void> uninstall_service(std::chrono::milliseconds deadline) {
  (void)deadline;
  return tl::unexpected(not_here());
}
Result<void> start_service(std::chrono::milliseconds deadline) {
  (void)deadline;
  return tl::unexpected(not_here());
}
Result<void> stop_service(std::chrono::milliseconds deadline) {
  (void)deadline;
  return tl::unexpected(not_here());
}
Result<ServiceState> query_service() { return tl::unexpected(not_here()); }

}  // namespace ferry::cli
