#include "tests/tenant/byte_quota.hpp"

#include <algorithm>

namespace ferry::tenant {

ByteQuota::Window& ByteQuota::window_at(std::string_view agent_id, Clock::time_point now) {
  auto found = windows_.find(agent_id);
  if (found == windows_.end()) found = windows_.emplace(std::string(agent_id), Window{}).first;
  Window& window = found->second;
  while (!window.spent.empty() && window.spent.front().at + kWindow <= now) {
    window.total -= window.spent.front().bytes;
    window.spent.pop_front();
  }
  return window;
}

std::optional<std::chrono::seconds> ByteQuota::wait_before(std::string_view agent_id,
                                                           Clock::time_point now) {
  if (max_ == 0) return std::nullopt;
  const Window& window = window_at(agent_id, now);
  if (window.total < max_) return std::nullopt;
  // The oldest batches leave the window first: find the one whose leaving brings the total below
  // the quota. It exists, since an empty window is below any quota.
  std::uint64_t total = window.total;
  Clock::time_point below_at = now;
  for (const Spent& spent : window.spent) {
    total -= spent.bytes;
    below_at = spent.at + kWindow;
    if (total < max_) break;
  }
  const auto wait = std::chrono::ceil<std::chrono::seconds>(below_at - now);
  return std::max(wait, std::chrono::seconds(1));
}

void ByteQuota::spend(std::string_view agent_id, std::uint64_t bytes, Clock::time_point now) {
  if (max_ == 0) return;
  Window& window = window_at(agent_id, now);
  window.spent.push_back({now, bytes});
  window.total += bytes;
}

}  // namespace ferry::tenant
