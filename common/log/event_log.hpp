// The Windows Event Log (the Application log, source "Ferry"): the service's start, stop and
// failure to start, and the log's warnings and errors (StderrStyle::kEventLog), each event one of
// the message table's (ferry_messages.mc) around the agent's own text. Elsewhere there is no
// Event Log and report_event() does nothing (event_log_posix.cpp).
//
// The text is what the log line or the failed command says: event phrases, counts, names, never
// a row value or a secret.
//
// Threads: report_event() from any thread.
#pragma once

#include <functional>
#include <string_view>

namespace ferry::log {

enum class Event {
  kStarted,      // informational: the service runs (its sources, its tenant)
  kStopped,      // informational: the service stopped cleanly
  kStartFailed,  // error: the service could not start (the reason and its fix)
  kError,        // error: a log line at level error or critical
  kWarning,      // warning: a log line at level warn
};

void report_event(Event event, std::string_view text);

// For tests: the events go to `writer` instead of the Event Log (a fake of it, which Wine does not
// keep: docs/windows.md) until the returned writer is put back with another call. An empty
// writer puts back the Event Log.
using EventWriter = std::function<void(Event, std::string_view)>;
EventWriter replace_event_writer(EventWriter writer);

}  // namespace ferry::log
