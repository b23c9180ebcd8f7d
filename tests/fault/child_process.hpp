// A child process that a test starts, watches and kills: for fault tests that SIGKILL the real
// `ferry` binary at chosen moments. The destructor kills and reaps a child still running, so a
// failing test leaves no process behind.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace ferry::test {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with standard input from /dev/null and standard output and error
  // appended to `output`. Throws std::runtime_error when it cannot start.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();  // reaps the child when it has ended

  // Waits until the child ends or `timeout` passes. The exit code (-1 when a signal ended it),
  // or nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // SIGKILL, then waits until the child is gone (reaped). Returns true when it was still running
  // when the signal was sent, false when it had already ended by itself.
  bool kill();
  // Sends `signal` (SIGTERM, SIGINT, ...) and returns at once; false when the child has ended.
  bool signal(int signal);
  // The exit code once ended (-1 for a signal); nullopt while running.
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  void reap(int status);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  bool signalled_ = false;
};

}  // namespace ferry::test
