#include "tests/support/testdata.hpp"

#include <cstdlib>

namespace ferry::test {

std::filesystem::path source_dir() { return FERRY_SOURCE_DIR; }

std::optional<std::filesystem::path> shared_testdata() {
  std::filesystem::path root;
  if (const char* env = std::getenv("FERRY_TESTDATA"); env != nullptr && *env != '\0') {
    root = env;
  } else {
    root = source_dir().parent_path() / "shared" / "testdata";
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return std::nullopt;
  return root;
}

}  // namespace ferry::test
