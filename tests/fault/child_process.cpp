#include "tests/fault/child_process.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace ferry::test {

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::filesystem::path& output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (auto& arg : args) argvp.push_back(arg.data());
  argvp.push_back(nullptr);
  const int spawned = ::posix_spawn(&pid_, argvp[0], &actions, nullptr, argvp.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw std::runtime_error(std::string("cannot start ") + argv[0] + ": " +
                             std::strerror(spawned));
  }
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) kill();
}

void ChildProcess::reap(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  signalled_ = WIFSIGNALED(status);
}

bool ChildProcess::running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t got = 0;
  do {
    got = ::waitpid(pid_, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got == pid_) {
    reap(status);
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return exit_code_;
}

bool ChildProcess::signal(int signal) {
  if (!running()) return false;
  return ::kill(pid_, signal) == 0;
}

bool ChildProcess::kill() {
  if (!running()) return false;
  ::kill(pid_, SIGKILL);
  // A SIGKILLed process always ends; wait for the kernel to say so (the child is gone once reaped).
  int status = 0;
  pid_t got = 0;
  do {
    got = ::waitpid(pid_, &status, 0);
  } while (got < 0 && errno == EINTR);
  if (got == pid_) {
    reap(status);
  } else {
    exit_code_ = -1;
  }
  // It may have ended by itself between running() and the signal.
  return signalled_;
}

}  // namespace ferry::test
