#include "tests/uplink/footprint.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>

namespace ferry::test {
namespace {

std::size_t entries(const std::filesystem::path& folder) {
  std::error_code ec;
  std::size_t count = 0;
  for (auto it = std::filesystem::directory_iterator(folder, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

std::int64_t rss_of(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

}  // namespace

std::size_t threads_of(pid_t pid) { return entries(fmt::format("/proc/{}/task", pid)); }

Footprint footprint_at_rest(pid_t pid) {
  Footprint least{SIZE_MAX, SIZE_MAX, 0};
  for (int look = 0; look < 40; ++look) {
    least.fds = std::min(least.fds, entries(fmt::format("/proc/{}/fd", pid)));
    least.threads = std::min(least.threads, threads_of(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  least.rss_bytes = rss_of(pid);
  return least;
}

}  // namespace ferry::test
