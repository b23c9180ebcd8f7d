#include "agent/app/service_status.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "common/config/duration.hpp"
#include "common/config/size.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::app {

std::string service_status_line(const control::StatusInputs& inputs) {
  std::string line =
      inputs.uplink ? fmt::format("uplink {}", uplink::to_string(inputs.uplink->state))
                    : std::string("uplink disabled (spool only)");
  if (inputs.spool) {
    const spool::Stats& spool = *inputs.spool;
    line += fmt::format("; spool {} batch{} ({})", spool.batches, spool.batches == 1 ? "" : "es",
                        config::display_size(spool.bytes));
    if (spool.batches > 0 && spool.oldest_created_unix > 0) {
      const auto created = std::chrono::system_clock::time_point(
          std::chrono::seconds(spool.oldest_created_unix));
      const auto age = std::max(std::chrono::duration_cast<config::Duration>(inputs.now - created),
                                config::Duration::zero());
      line += fmt::format(", oldest {}", config::format_duration(
                                             std::chrono::duration_cast<std::chrono::seconds>(age)));
    }
  } else {
    line += "; spool unreadable";
  }
  std::optional<collector::WallTime> last_sync;
  std::size_t failing = 0;
  for (const auto& source : inputs.sources) {
    if (source.last_success && (!last_sync || *source.last_success > *last_sync)) {
      last_sync = source.last_success;
    }
    if (!source.last_error.empty()) ++failing;
  }
  line += last_sync ? fmt::format("; last sync {}", keys::format_rfc3339(*last_sync))
                    : std::string("; last sync never");
  if (failing > 0) {
    line += fmt::format("; {} of {} sources failing", failing, inputs.sources.size());
  }
  return line;
}

}  // namespace ferry::app
