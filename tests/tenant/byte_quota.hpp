// The per-agent byte quota of ferry-tenant (--max-bytes-per-minute): how much batch plaintext one
// agent may have the tenant decompress in any 60 seconds. Without it, one token holder can keep
// the tenant's disk and CPU busy at the rate of its line.
//
// What counts: the decompressed size of each batch the tenant opened for the agent, whether it
// was then stored or refused for its content (the work was done either way). Duplicates, which
// are acked unread, and batches refused before they are opened do not count.
//
// The rule: while an agent's batches of the last 60 seconds add up to the quota or more, its next
// batch is answered with a nack (retry: true) before it is opened, and the nack says when enough
// of those bytes will have left the window (retry_after). Below the quota, a batch is accepted
// whatever its size, so a batch larger than the quota is never refused forever: the agent may go
// over the quota by one batch (at most --max-batch-bytes), and then waits.
//
// Time is passed in, so tests control it. Used from the server's one thread; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::tenant {

class ByteQuota {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{60};

  // `max_bytes_per_minute` 0: no quota (every batch may go on).
  explicit ByteQuota(std::uint64_t max_bytes_per_minute) : max_(max_bytes_per_minute) {}

  std::uint64_t max_bytes_per_minute() const { return max_; }

  // nullopt when `agent` may send a batch at `now`; else how long it should wait, in whole
  // seconds (at least 1), until its bytes of the last minute fall below the quota.
  std::optional<std::chrono::seconds> wait_before(std::string_view agent_id, Clock::time_point now);

  // Counts `bytes` of plaintext decompressed for `agent` at `now`.
  void spend(std::string_view agent_id, std::uint64_t bytes, Clock::time_point now);

 private:
  struct Spent {
    Clock::time_point at;
    std::uint64_t bytes = 0;
  };
  struct Window {
    std::deque<Spent> spent;  // oldest first, all within kWindow of the last call
    std::uint64_t total = 0;  // the sum of spent
  };
  // The agent's window with what is older than kWindow before `now` dropped.
  Window& window_at(std::string_view agent_id, Clock::time_point now);

  std::uint64_t max_;
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace ferry::tenant
