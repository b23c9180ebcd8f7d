// The Windows Event Log (event_log.hpp): ReportEventW to the source "Ferry" of the Application
// log, with one insertion string, the agent's text, which the message table (ferry_messages.mc,
// in ferry.exe) puts in a sentence. An event that cannot be written is dropped: the log file has
// the same line.
#include "common/log/event_log.hpp"

#include <array>
#include <filesystem>
#include <string>

#include <windows.h>

#include "common/log/log_system.hpp"
#include "ferry_messages.h"  // windmc's, made from ferry_messages.mc in the build folder

namespace ferry::log::detail {
namespace {

struct EventType {
  WORD type;
  DWORD id;
};

EventType event_type(Event event) {
  switch (event) {
    case Event::kStarted:
      return {EVENTLOG_INFORMATION_TYPE, FERRY_EVENT_STARTED};
    case Event::kStopped:
      return {EVENTLOG_INFORMATION_TYPE, FERRY_EVENT_STOPPED};
    case Event::kStartFailed:
      return {EVENTLOG_ERROR_TYPE, FERRY_EVENT_START_FAILED};
    case Event::kError:
      return {EVENTLOG_ERROR_TYPE, FERRY_EVENT_ERROR};
    case Event::kWarning:
      return {EVENTLOG_WARNING_TYPE, FERRY_EVENT_WARNING};
  }
  return {EVENTLOG_ERROR_TYPE, FERRY_EVENT_ERROR};
}

}  // namespace

void write_system_event(Event event, std::string_view text) {
  // Opened per event: events are few (start, stop, warnings), and no handle outlives a reload.
  HANDLE source = ::RegisterEventSourceW(nullptr, L"Ferry");
  if (source == nullptr) return;
  const std::wstring wide =
      std::filesystem::path(std::u8string(text.begin(), text.end())).wstring();
  std::array<LPCWSTR, 1> strings = {wide.c_str()};
  const EventType type = event_type(event);
  ::ReportEventW(source, type.type, 0, type.id, nullptr, 1, 0, strings.data(), nullptr);
  ::DeregisterEventSource(source);
}

}  // namespace ferry::log::detail
