#include "agent/control/socket_folder.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/stat.h>

namespace ferry::control {

std::string describe_checked_channel(const std::filesystem::path& socket) {
  return fmt::format("{} is in a folder only its owner can write", socket.string());
}

Result<void> check_socket_folder(const std::filesystem::path& socket) {
  const std::filesystem::path folder =
      socket.has_parent_path() ? socket.parent_path() : std::filesystem::path(".");
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0) {
    const int error = errno;
    return make_error(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      "agent.control_socket {}: cannot look at its folder {}: {}", socket.string(),
                      folder.string(), std::strerror(error));
  }
  const mode_t writable = info.st_mode & (S_IWGRP | S_IWOTH);
  if (writable == 0) return {};
  const char* who = writable == (S_IWGRP | S_IWOTH) ? "its group and others"
                    : writable == S_IWGRP           ? "its group"
                                                    : "others";
  return make_error(
      ErrorCode::kPermission,
      "agent.control_socket {} is in {}, a folder {} may write to (mode {:04o}): they could "
      "replace the socket and answer in the agent's place. Put it in a folder only the agent's "
      "user can write: leave agent.control_socket out (<data_dir>/control.sock), or use "
      "/run/ferry/control.sock with /run/ferry owned by the agent's user, mode 0750",
      socket.string(), folder.string(), who, info.st_mode & 07777);
}

}  // namespace ferry::control
