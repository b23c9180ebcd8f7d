#include "agent/cli/process.hpp"

#include <filesystem>

#include <openssl/crypto.h>
#include <windows.h>
// After windows.h:
#include <shellapi.h>

#include "common/error/path_text.hpp"

namespace ferry::cli {

void prepare_process() {
  ::SetConsoleOutputCP(CP_UTF8);
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
}

std::vector<std::string> arguments(int, char**) {
  int count = 0;
  LPWSTR* wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  std::vector<std::string> args;
  for (int i = 1; wide != nullptr && i < count; ++i) {
    args.push_back(path_text(std::filesystem::path(wide[i])));
  }
  ::LocalFree(wide);
  return args;
}

}  // namespace ferry::cli
