#include "agent/cli/process.hpp"

#include <sys/stat.h>

namespace ferry::cli {

void prepare_process() { ::umask(::umask(0) | 027); }

std::vector<std::string> arguments(int argc, char** argv) {
  return std::vector<std::string>(argv + 1, argv + argc);
}

}  // namespace ferry::cli
