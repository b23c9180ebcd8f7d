// Windows only: the control pipe's name from agent.control_socket (windows_pipe.hpp).
#include "agent/control/windows_pipe.hpp"

#include <catch2/catch.hpp>

#include "common/error/path_text.hpp"

namespace ferry::control::windows {
namespace {

using Catch::Matchers::StartsWith;

TEST_CASE("windows pipe: a path names one pipe of its own, a pipe name is kept") {
  const auto data = pipe_name(L"C:\\ProgramData\\Ferry\\data\\control.sock");
  CHECK_THAT(path_text(data), StartsWith("\\\\.\\pipe\\ferry-"));
  CHECK(data.size() == std::wstring(L"\\\\.\\pipe\\ferry-").size() + 16);
  // The same folder however it is written: case and separators do not matter.
  CHECK(pipe_name(L"c:/programdata/ferry/data/control.sock") == data);
  CHECK(pipe_name(L"C:\\ProgramData\\Ferry\\other\\control.sock") != data);
  CHECK(pipe_name(L"\\\\.\\pipe\\ferry") == L"\\\\.\\pipe\\ferry");
  CHECK_THAT(describe_pipe(L"C:\\ProgramData\\Ferry\\data\\control.sock"),
             StartsWith("C:\\ProgramData\\Ferry\\data\\control.sock (pipe \\\\.\\pipe\\ferry-"));
}

TEST_CASE("windows pipe: the agent's own user, SYSTEM and service accounts are trusted servers") {
  CHECK(trusted_server(env::current_user()));
  CHECK(trusted_server("S-1-5-18"));
  CHECK(trusted_server("S-1-5-80-1-2-3-4-5"));
  CHECK_FALSE(trusted_server("S-1-5-21-1-2-3-4242"));
}

}  // namespace
}  // namespace ferry::control::windows
