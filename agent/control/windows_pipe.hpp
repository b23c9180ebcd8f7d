// Windows only: the control channel is a named pipe (SPEC section 8), local to the machine.
// Its name comes from agent.control_socket: a value that is already a pipe name
// (\\.\pipe\NAME) is used as it is; any other path (the default <data_dir>\control.sock) names
// the pipe \\.\pipe\ferry-<the first 16 hex digits of the SHA-256 of the absolute path, in lower
// case>, so each data_dir has its own pipe and `ferry` finds it from the same configuration.
#pragma once

#include <filesystem>
#include <string>

#include <windows.h>

#include "common/env/user.hpp"
#include "common/error/error.hpp"

namespace ferry::control::windows {

std::wstring pipe_name(const std::filesystem::path& control_socket);

// "C:\ProgramData\Ferry\data\control.sock (pipe \\.\pipe\ferry-0123456789abcdef)", or the pipe
// name alone when that is what was configured.
std::string describe_pipe(const std::filesystem::path& control_socket);

// The user at the client end of a connected pipe (the SID as text): the server impersonates it
// for the moment it takes to read its token, as SO_PEERCRED tells on Linux. kIo when Windows
// cannot say.
Result<env::UserId> client_user(HANDLE pipe);

// The user the server process at the other end runs as, for the client to check before it sends
// anything. kIo when Windows cannot say.
Result<env::UserId> server_user(HANDLE pipe);

// Whether `user` may be trusted to answer as the agent: SYSTEM, LocalService, NetworkService, a
// service's virtual account (NT SERVICE\..., S-1-5-80-...), or this process's own user.
bool trusted_server(const env::UserId& user);

}  // namespace ferry::control::windows
