// No Event Log outside Windows (event_log.hpp): the journal or the log file has every line.
#include "common/log/event_log.hpp"

#include "common/log/log_system.hpp"

namespace ferry::log::detail {

void write_system_event(Event event, std::string_view text) {
  (void)event;
  (void)text;
}

}  // namespace ferry::log::detail
