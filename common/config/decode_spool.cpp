#include "common/config/decode.hpp"

namespace ferry::config::detail {

SpoolSettings decode_spool(Context& ctx, const Entry& entry) {
  SpoolSettings spool;
  auto map = open_map(ctx, entry, "spool", Naming::kSection);
  if (!map) return spool;
  map->check_keys({"max_bytes", "when_full"});
  if (const Entry* max_bytes = map->find("max_bytes")) {
    if (auto size = read_size(ctx, *max_bytes, std::uint64_t{1} << 20, std::uint64_t{1} << 50)) {
      spool.max_bytes = *size;
    }
  }
  if (const Entry* when_full = map->find("when_full")) {
    if (auto choice = read_choice(ctx, *when_full, {"pause", "drop_oldest"})) {
      spool.when_full = *choice == "pause" ? WhenFull::kPause : WhenFull::kDropOldest;
    }
  }
  return spool;
}

}  // namespace ferry::config::detail
