// The `ferry` program: argv in, exit code out. Everything else lives in ferry_agent.
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli/command.hpp"
#include "agent/cli/process.hpp"

int main(int argc, char** argv) {
  ferry::cli::prepare_process();
  std::vector<std::string> args = ferry::cli::arguments(argc, argv);
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
