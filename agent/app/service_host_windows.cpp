// `ferry run` on Windows (service_host.hpp): as the service Ferry when the service control
// manager started it, in a console otherwise.
#include "agent/app/service_host.hpp"

#include <mutex>
#include <string>

#include <fmt/format.h>
#include <windows.h>

#include "agent/app/signals_windows.hpp"
#include "common/error/path_text.hpp"
#include "common/log/event_log.hpp"
#include "common/log/log.hpp"

namespace ferry::app {
namespace {

// How long the service manager should wait for the next checkpoint: one start-up or shutdown
// step (opening a large spool, finishing a run) stays well within it.
constexpr DWORD kWaitHintMs = 60'000;

// The controls the running service takes. PRESHUTDOWN gives the agent time to stop cleanly
// before the system does (the service's preshutdown timeout, set at install); SHUTDOWN is the
// last word.
constexpr DWORD kAccepted = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN |
                            SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE;

std::string log_file_words() {
  const auto file = log::current_file();
  return file ? fmt::format("its log file is {}", path_text(*file)) : std::string("no log file");
}

// What the service manager hears: SetServiceStatus, under a lock (the control handler runs on the
// dispatcher's thread, the agent on ServiceMain's).
class ServiceLifecycle final : public Lifecycle {
 public:
  void attach(SERVICE_STATUS_HANDLE handle) {
    std::lock_guard lock(mutex_);
    handle_ = handle;
    status_.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    set(SERVICE_START_PENDING);
  }

  void starting(std::string_view step) override {
    (void)step;
    std::lock_guard lock(mutex_);
    set(status_.dwCurrentState);  // the next checkpoint of the same pending state
  }
  void ready() override {
    {
      std::lock_guard lock(mutex_);
      set(SERVICE_RUNNING);
    }
    log::report_event(log::Event::kStarted, fmt::format("ferry {} runs as a service; {}",
                                                        FERRY_VERSION, log_file_words()));
  }
  void stopping() override {
    std::lock_guard lock(mutex_);
    set(SERVICE_STOP_PENDING);
  }
  void failed(std::string_view message) override {
    failed_ = true;
    log::report_event(log::Event::kStartFailed, message);
  }

  // The control handler: a stop is pending from now on.
  void stop_asked(std::string_view why) {
    {
      std::lock_guard lock(mutex_);
      if (status_.dwCurrentState == SERVICE_RUNNING) set(SERVICE_STOP_PENDING);
      stop_reason_ = why;
    }
  }

  // The agent returned `code`: the last word to the service manager, after which the process may
  // end at any moment.
  void stopped(int code) {
    if (code == 0) {
      std::string why;
      {
        std::lock_guard lock(mutex_);
        why = stop_reason_.empty() ? "it was asked to stop" : stop_reason_;
      }
      log::report_event(log::Event::kStopped, fmt::format("ferry {} stopped cleanly ({}); {}",
                                                          FERRY_VERSION, why, log_file_words()));
    } else if (!failed_) {
      log::report_event(log::Event::kStartFailed,
                        fmt::format("ferry {} ended with exit code {}; {}", FERRY_VERSION, code,
                                    log_file_words()));
    }
    std::lock_guard lock(mutex_);
    // Exit 2 (the configuration does not work) is not retried, as RestartPreventExitStatus=2 in
    // the systemd unit: starting again cannot help until someone fixes the file. The service
    // manager hears a stop without error, so its restart-on-failure actions stay quiet; the
    // Event Log has the reason.
    const bool retry = code != 0 && code != 2;
    status_.dwWin32ExitCode = retry ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
    status_.dwServiceSpecificExitCode = retry ? static_cast<DWORD>(code) : 0;
    set(SERVICE_STOPPED);
  }

  DWORD current_state() {
    std::lock_guard lock(mutex_);
    return status_.dwCurrentState;
  }

 private:
  // Caller holds mutex_.
  void set(DWORD state) {
    const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
    status_.dwCheckPoint = pending && state == status_.dwCurrentState ? status_.dwCheckPoint + 1
                           : pending                                  ? 1
                                                                      : 0;
    status_.dwCurrentState = state;
    status_.dwWaitHint = pending ? kWaitHintMs : 0;
    status_.dwControlsAccepted = state == SERVICE_RUNNING ? kAccepted : 0;
    if (handle_ != nullptr) ::SetServiceStatus(handle_, &status_);
  }

  std::mutex mutex_;
  SERVICE_STATUS_HANDLE handle_ = nullptr;  // guarded by mutex_
  SERVICE_STATUS status_{};                 // guarded by mutex_
  std::string stop_reason_;                 // guarded by mutex_
  bool failed_ = false;                     // ServiceMain's thread only
};

DWORD WINAPI on_control(DWORD control, DWORD event_type, void* event_data, void* context) {
  (void)event_type;
  (void)event_data;
  auto* lifecycle = static_cast<ServiceLifecycle*>(context);
  switch (control) {
    case SERVICE_CONTROL_STOP:
      lifecycle->stop_asked("the service manager asked it to stop");
      post_service_control(
          {ReceivedSignal::Asks::kStop, "a stop from the service manager", {}, {}});
      return NO_ERROR;
    case SERVICE_CONTROL_PRESHUTDOWN:
    case SERVICE_CONTROL_SHUTDOWN:
      lifecycle->stop_asked("the system shuts down");
      post_service_control({ReceivedSignal::Asks::kStop, "the system shutting down", {}, {}});
      return NO_ERROR;
    case SERVICE_CONTROL_PARAMCHANGE:
      if (lifecycle->current_state() == SERVICE_RUNNING) {
        post_service_control(
            {ReceivedSignal::Asks::kReload, "a reload from the service manager", {}, {}});
      }
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

// ServiceMain is a plain function: it finds the agent here. One run_hosted() per process.
const std::function<int(Host&)>* hosted_agent = nullptr;
int service_exit_code = 0;

void WINAPI service_main(DWORD argc, LPWSTR* argv) {
  (void)argc;
  (void)argv;
  ServiceLifecycle lifecycle;
  // The name is ignored for a service of its own process (SERVICE_WIN32_OWN_PROCESS).
  SERVICE_STATUS_HANDLE handle = ::RegisterServiceCtrlHandlerExW(L"Ferry", on_control, &lifecycle);
  if (handle == nullptr) {
    service_exit_code = 1;
    return;
  }
  lifecycle.attach(handle);
  Host host{lifecycle, true};
  service_exit_code = (*hosted_agent)(host);
  lifecycle.stopped(service_exit_code);
}

}  // namespace

int run_hosted(const std::function<int(Host&)>& agent) {
  hosted_agent = &agent;
  SERVICE_TABLE_ENTRYW table[] = {{const_cast<LPWSTR>(L"Ferry"), service_main}, {nullptr, nullptr}};
  // Returns once the service has stopped; fails at once when no service manager started this
  // process (ERROR_FAILED_SERVICE_CONTROLLER_CONNECT): `ferry run` in a console.
  if (::StartServiceCtrlDispatcherW(table)) return service_exit_code;
  Host host{quiet_lifecycle(), false};
  return agent(host);
}

}  // namespace ferry::app
