// The `ferry-tenant` program: argv in, exit code out. Everything else lives in ferry_tenant.
#include <iostream>
#include <string>
#include <vector>

#include "tests/tenant/tenant_cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ferry::tenant::Io io{std::cout, std::cerr};
  try {
    return ferry::tenant::run_tenant_cli(args, io);
  } catch (const std::exception& e) {
    std::cerr << "ferry-tenant: internal error: " << e.what()
              << " (please report this with the command you ran)\n";
    return ferry::tenant::kExitFailure;
  }
}
