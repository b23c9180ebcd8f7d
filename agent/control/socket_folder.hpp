// The folder of agent.control_socket must be writable by nobody but its owner: whoever may write
// there could remove the socket and listen in the agent's place, to read what `ferry erase` and
// `ferry sync` ask and to answer them falsely. A sticky folder such as /tmp does not help (the
// name is free until the agent binds it), so it is refused too. Checked when the agent opens the
// socket, and by `ferry check` and `ferry validate`.
#pragma once

#include <filesystem>
#include <string>

#include "common/error/error.hpp"

namespace ferry::control {

// kPermission naming the folder, its mode and what to do when the folder is group- or
// world-writable; kNotFound when it does not exist (the agent creates it, mode 0755); kIo when it
// cannot be looked at.
// On Windows there is no folder to check: the channel is a named pipe (windows_pipe.hpp) whose
// access list the agent sets; always fine.
Result<void> check_socket_folder(const std::filesystem::path& socket);

// What `ferry check` says of a channel that passed: "/run/ferry/control.sock is in a folder only
// its owner can write"; on Windows the pipe's name and who may use it.
std::string describe_checked_channel(const std::filesystem::path& socket);

}  // namespace ferry::control
