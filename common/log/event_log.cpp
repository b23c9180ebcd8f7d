// The test seam of event_log.hpp; the system's writer is in event_log_{posix,windows}.cpp.
#include "common/log/event_log.hpp"

#include <mutex>
#include <string>
#include <utility>

#include "common/log/log_system.hpp"

namespace ferry::log {
namespace {

std::mutex writer_mutex;
EventWriter replaced;  // guarded by writer_mutex; empty: the system's

}  // namespace

void report_event(Event event, std::string_view text) {
  {
    std::lock_guard lock(writer_mutex);
    if (replaced) {
      replaced(event, text);
      return;
    }
  }
  detail::write_system_event(event, text);
}

EventWriter replace_event_writer(EventWriter writer) {
  std::lock_guard lock(writer_mutex);
  return std::exchange(replaced, std::move(writer));
}

}  // namespace ferry::log
