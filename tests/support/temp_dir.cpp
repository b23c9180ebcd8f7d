#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/fs/atomic_file.hpp"

namespace ferry::test {

TempDir::TempDir() {
#ifdef _WIN32
  // Windows has no mkdtemp: a random name, made only where nothing is yet.
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto candidate =
        std::filesystem::temp_directory_path() / ("ferry-test-" + std::to_string(random()));
    std::error_code ec;
    if (std::filesystem::create_directory(candidate, ec)) {
      path_ = candidate;
      return;
    }
    if (ec) throw std::runtime_error("cannot make a temporary folder: " + ec.message());
  }
  throw std::runtime_error("cannot make a temporary folder: every name tried was taken");
#else
  std::string pattern = (std::filesystem::temp_directory_path() / "ferry-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
#endif
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(std::string_view name, std::string_view content) const {
  std::filesystem::path file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return file;
}

std::filesystem::path TempDir::write_private(std::string_view name,
                                            std::string_view content) const {
  // The agent's own way (0600; on Windows an owner-only access list from the start), so that a
  // test's secret passes the same check as one the agent wrote.
  std::filesystem::path file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  if (auto written = fs::write_file_atomically(file, content, fs::Access::kOwnerOnly); !written) {
    throw std::runtime_error(written.error().message);
  }
  return file;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace ferry::test
