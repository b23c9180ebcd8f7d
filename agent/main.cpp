// The `ferry` program: argv in, exit code out. Everything else lives in ferry_agent.
#include <iostream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "agent/cli/command.hpp"

int main(int argc, char** argv) {
  // Nothing Ferry writes is for others, and nothing for its group to change: a log file is at
  // most 0640, a folder 0750 (secrets get 0600 and 0700 explicitly).
  ::umask(::umask(0) | 027);
  std::vector<std::string> args(argv + 1, argv + argc);
  ferry::cli::Io io{std::cout, std::cerr};
  try {
    return ferry::cli::run_cli(args, io);
  } catch (const std::exception& e) {
    // A bug of ours: say so in one line rather than aborting with a trace.
    std::cerr << "ferry: internal error: " << e.what()
              << " (please report this with the command you ran)\n";
    return ferry::cli::kExitFailure;
  }
}
