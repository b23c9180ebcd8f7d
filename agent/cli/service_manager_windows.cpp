// `ferry service` on Windows (service_manager.hpp): the service control manager's API.
#include "agent/cli/service_manager.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <windows.h>

#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"

namespace ferry::cli {
namespace {

namespace win = env::windows;

constexpr wchar_t kName[] = L"Ferry";
constexpr wchar_t kDisplayName[] = L"Ferry data agent";
constexpr wchar_t kDescription[] =
    L"Sends the school's chosen student data, pseudonymized and encrypted, to the BI vendor's "
    L"tenant (ferry status shows what it does).";
constexpr wchar_t kAccount[] = L"NT SERVICE\\Ferry";
constexpr wchar_t kEventSourceKey[] =
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\Ferry";
// How often a wait looks at the service's state again.
constexpr auto kPoll = std::chrono::milliseconds(200);

struct ServiceCloser {
  void operator()(SC_HANDLE handle) const {
    if (handle != nullptr) ::CloseServiceHandle(handle);
  }
};
using ServiceHandle = std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ServiceCloser>;

std::string text_of(const std::wstring& wide) { return path_text(std::filesystem::path(wide)); }

Error scm_error(DWORD code, std::string_view doing) {
  switch (code) {
    case ERROR_ACCESS_DENIED:
      return Error{ErrorCode::kPermission,
                   fmt::format("cannot {}: access is denied: run it in a command prompt or "
                               "PowerShell opened with 'Run as administrator'",
                               doing)};
    case ERROR_SERVICE_DOES_NOT_EXIST:
      return Error{ErrorCode::kNotFound,
                   "the service Ferry is not installed: install it with 'ferry service install "
                   "-c FILE' (or the MSI)"};
    case ERROR_SERVICE_EXISTS:
      return Error{ErrorCode::kAlreadyExists,
                   "the service Ferry is installed already ('ferry service uninstall' removes "
                   "it; its data stays)"};
    case ERROR_SERVICE_MARKED_FOR_DELETE:
      return Error{ErrorCode::kConflict,
                   "the service Ferry is being removed: close the Services console "
                   "(services.msc) and Event Viewer, then try again"};
    case ERROR_SERVICE_DISABLED:
      return Error{ErrorCode::kConfig,
                   "the service Ferry is disabled: set its start type to Automatic in "
                   "services.msc, or run 'sc.exe config Ferry start= delayed-auto'"};
    default:
      return Error{ErrorCode::kIo, fmt::format("cannot {}: {}", doing, win::system_message(code))};
  }
}

Result<ServiceHandle> open_manager(DWORD access) {
  ServiceHandle manager(::OpenSCManagerW(nullptr, nullptr, access));
  if (!manager) return tl::unexpected(scm_error(::GetLastError(), "open the service manager"));
  return manager;
}

Result<ServiceHandle> open_service(DWORD access, std::string_view doing) {
  auto manager = open_manager(SC_MANAGER_CONNECT);
  if (!manager) return tl::unexpected(manager.error());
  ServiceHandle service(::OpenServiceW(manager->get(), kName, access));
  if (!service) return tl::unexpected(scm_error(::GetLastError(), doing));
  return service;
}

Result<SERVICE_STATUS_PROCESS> status_of(SC_HANDLE service) {
  SERVICE_STATUS_PROCESS status{};
  DWORD needed = 0;
  if (!::QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status),
                              sizeof(status), &needed)) {
    return tl::unexpected(scm_error(::GetLastError(), "ask the state of the service Ferry"));
  }
  return status;
}

std::string state_name(DWORD state) {
  switch (state) {
    case SERVICE_STOPPED:
      return "stopped";
    case SERVICE_START_PENDING:
      return "start pending";
    case SERVICE_STOP_PENDING:
      return "stop pending";
    case SERVICE_RUNNING:
      return "running";
    case SERVICE_CONTINUE_PENDING:
      return "continue pending";
    case SERVICE_PAUSE_PENDING:
      return "pause pending";
    case SERVICE_PAUSED:
      return "paused";
    default:
      return fmt::format("state {}", state);
  }
}

// Waits until the service's state is none of `pending`; returns the state it reached.
Result<SERVICE_STATUS_PROCESS> wait_while(SC_HANDLE service, std::initializer_list<DWORD> pending,
                                          std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto status = status_of(service);
    if (!status) return status;
    if (std::find(pending.begin(), pending.end(), status->dwCurrentState) == pending.end() ||
        std::chrono::steady_clock::now() >= until) {
      return status;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

// Why a service that should run has stopped, from its exit codes.
std::string exit_words(const SERVICE_STATUS_PROCESS& status) {
  if (status.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR) {
    const DWORD code = status.dwServiceSpecificExitCode;
    return fmt::format("ferry run ended with exit code {}", code);
  }
  // A clean stop, or ferry run's exit 2 (a configuration that does not work), which the service
  // tells as a stop without error (service_host.hpp).
  if (status.dwWin32ExitCode == NO_ERROR) {
    return "ferry run stopped without asking to be restarted, as it does when its configuration "
           "does not work (exit code 2; nothing restarts it until the file is fixed)";
  }
  return win::system_message(status.dwWin32ExitCode);
}

// Sets what CreateServiceW cannot. A setting this service manager does not know
// (ERROR_INVALID_LEVEL: Wine's, for the delayed start and the SID type) is left out and named in
// `skipped`; Windows 10 and Server 2016 know them all.
Result<void> configure(SC_HANDLE service, std::vector<std::string>& skipped) {
  auto set = [&](DWORD level, void* info, std::string_view what) -> Result<void> {
    if (!::ChangeServiceConfig2W(service, level, info)) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_INVALID_LEVEL || error == ERROR_CALL_NOT_IMPLEMENTED) {
        skipped.emplace_back(what);
        return {};
      }
      return make_error(ErrorCode::kIo, "cannot set the service's {}: {}", what,
                        win::system_message(error));
    }
    return {};
  };
  std::wstring description = kDescription;
  SERVICE_DESCRIPTIONW about{description.data()};
  if (auto done = set(SERVICE_CONFIG_DESCRIPTION, &about, "description"); !done) return done;
  SERVICE_DELAYED_AUTO_START_INFO delayed{TRUE};
  if (auto done = set(SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed, "delayed start"); !done) {
    return done;
  }
  std::array<SC_ACTION, 3> restarts = {SC_ACTION{SC_ACTION_RESTART, 10'000},
                                       SC_ACTION{SC_ACTION_RESTART, 30'000},
                                       SC_ACTION{SC_ACTION_RESTART, 60'000}};
  SERVICE_FAILURE_ACTIONSW failure{};
  failure.dwResetPeriod = 24 * 60 * 60;  // seconds without a failure before the count restarts
  failure.cActions = static_cast<DWORD>(restarts.size());
  failure.lpsaActions = restarts.data();
  if (auto done = set(SERVICE_CONFIG_FAILURE_ACTIONS, &failure, "restart on failure"); !done) {
    return done;
  }
  // Also when the agent exits with an error (SERVICE_STOPPED with an exit code), not only when
  // the process crashes.
  SERVICE_FAILURE_ACTIONS_FLAG on_error{TRUE};
  if (auto done = set(SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_error, "restart on error"); !done) {
    return done;
  }
  SERVICE_PRESHUTDOWN_INFO preshutdown{30'000};
  if (auto done = set(SERVICE_CONFIG_PRESHUTDOWN_INFO, &preshutdown, "shutdown time"); !done) {
    return done;
  }
  // The service's own SID (NT SERVICE\Ferry) in its token: what its files' access lists name.
  SERVICE_SID_INFO sid{SERVICE_SID_TYPE_UNRESTRICTED};
  if (auto done = set(SERVICE_CONFIG_SERVICE_SID_INFO, &sid, "service SID"); !done) return done;
  // The one privilege it needs (every process has it); the others are taken from its token.
  std::wstring privileges(L"SeChangeNotifyPrivilege\0\0", 25);
  SERVICE_REQUIRED_PRIVILEGES_INFOW required{privileges.data()};
  return set(SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, &required, "privileges");
}

Result<void> register_event_source(const std::filesystem::path& program) {
  HKEY key = nullptr;
  LSTATUS made = ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, 0, nullptr, 0,
                                   KEY_SET_VALUE, nullptr, &key, nullptr);
  if (made != ERROR_SUCCESS) {
    return tl::unexpected(scm_error(static_cast<DWORD>(made), "register the Event Log source"));
  }
  const std::wstring file = program.wstring();
  const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  LSTATUS set = ::RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ,
                                 reinterpret_cast<const BYTE*>(file.c_str()),
                                 static_cast<DWORD>((file.size() + 1) * sizeof(wchar_t)));
  if (set == ERROR_SUCCESS) {
    set = ::RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD,
                           reinterpret_cast<const BYTE*>(&types), sizeof(types));
  }
  ::RegCloseKey(key);
  if (set != ERROR_SUCCESS) {
    return tl::unexpected(scm_error(static_cast<DWORD>(set), "register the Event Log source"));
  }
  return {};
}

}  // namespace

Result<std::filesystem::path> this_program() {
  std::vector<wchar_t> name(MAX_PATH);
  for (;;) {
    const DWORD size = ::GetModuleFileNameW(nullptr, name.data(), static_cast<DWORD>(name.size()));
    if (size == 0) {
      return make_error(ErrorCode::kIo, "cannot tell where this program is: {}",
                        win::system_message(::GetLastError()));
    }
    if (size < name.size()) return std::filesystem::path(std::wstring(name.data(), size));
    name.resize(name.size() * 2);
  }
}

Result<InstallReport> install_service(const ServiceSettings& settings) {
  auto manager = open_manager(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
  if (!manager) return tl::unexpected(manager.error());
  const std::wstring command =
      L"\"" + settings.program.wstring() + L"\" run -c \"" + settings.config.wstring() + L"\"";
  ServiceHandle service(::CreateServiceW(manager->get(), kName, kDisplayName, SERVICE_ALL_ACCESS,
                                         SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                                         SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr,
                                         nullptr, kAccount, nullptr));
  if (!service) return tl::unexpected(scm_error(::GetLastError(), "install the service Ferry"));
  InstallReport report;
  auto configured = configure(service.get(), report.skipped);
  if (configured) configured = register_event_source(settings.program);
  if (!configured) {
    ::DeleteService(service.get());  // no half-installed service
    return tl::unexpected(configured.error());
  }
  return report;
}

Result<void> uninstall_service(std::chrono::milliseconds deadline) {
  auto service =
      open_service(DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS, "remove the service Ferry");
  if (!service) return tl::unexpected(service.error());
  auto status = status_of(service->get());
  if (!status) return tl::unexpected(status.error());
  if (status->dwCurrentState != SERVICE_STOPPED) {
    if (auto stopped = stop_service(deadline); !stopped) return stopped;
  }
  if (!::DeleteService(service->get())) {
    return tl::unexpected(scm_error(::GetLastError(), "remove the service Ferry"));
  }
  ::RegDeleteKeyW(HKEY_LOCAL_MACHINE, kEventSourceKey);  // its past events keep their text
  return {};
}

Result<void> start_service(std::chrono::milliseconds deadline) {
  auto service = open_service(SERVICE_START | SERVICE_QUERY_STATUS, "start the service Ferry");
  if (!service) return tl::unexpected(service.error());
  if (!::StartServiceW(service->get(), 0, nullptr)) {
    const DWORD error = ::GetLastError();
    if (error != ERROR_SERVICE_ALREADY_RUNNING) {
      return tl::unexpected(scm_error(error, "start the service Ferry"));
    }
  }
  auto reached = wait_while(service->get(), {SERVICE_START_PENDING, SERVICE_STOPPED}, deadline);
  if (!reached) return tl::unexpected(reached.error());
  if (reached->dwCurrentState == SERVICE_RUNNING) return {};
  if (reached->dwCurrentState == SERVICE_STOPPED ||
      reached->dwCurrentState == SERVICE_STOP_PENDING) {
    return make_error(ErrorCode::kUnavailable,
                      "the service Ferry stopped while starting: {}; the Event Log (Windows "
                      "Logs > Application, source Ferry) and the agent's log file say why",
                      exit_words(*reached));
  }
  return make_error(ErrorCode::kUnavailable,
                    "the service Ferry is still {} after {} s; 'ferry service start' again, or "
                    "'sc.exe query Ferry', shows when it runs",
                    state_name(reached->dwCurrentState),
                    std::chrono::duration_cast<std::chrono::seconds>(deadline).count());
}

Result<void> stop_service(std::chrono::milliseconds deadline) {
  auto service = open_service(SERVICE_STOP | SERVICE_QUERY_STATUS, "stop the service Ferry");
  if (!service) return tl::unexpected(service.error());
  SERVICE_STATUS asked{};
  if (!::ControlService(service->get(), SERVICE_CONTROL_STOP, &asked)) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_SERVICE_NOT_ACTIVE) return {};
    if (error != ERROR_SERVICE_CANNOT_ACCEPT_CTRL) {
      return tl::unexpected(scm_error(error, "stop the service Ferry"));
    }
    // Starting or stopping already: wait for it below.
  }
  auto reached = wait_while(
      service->get(), {SERVICE_STOP_PENDING, SERVICE_RUNNING, SERVICE_START_PENDING}, deadline);
  if (!reached) return tl::unexpected(reached.error());
  if (reached->dwCurrentState == SERVICE_STOPPED) return {};
  return make_error(ErrorCode::kUnavailable,
                    "the service Ferry is still {} after {} s: it finishes the run in progress; "
                    "'ferry service stop' again waits longer",
                    state_name(reached->dwCurrentState),
                    std::chrono::duration_cast<std::chrono::seconds>(deadline).count());
}

Result<ServiceState> query_service() {
  auto service =
      open_service(SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS, "look at the service Ferry");
  if (!service) {
    if (service.error().code == ErrorCode::kNotFound) return ServiceState{};
    return tl::unexpected(service.error());
  }
  ServiceState state;
  state.installed = true;
  auto status = status_of(service->get());
  if (!status) return tl::unexpected(status.error());
  state.state = state_name(status->dwCurrentState);
  DWORD needed = 0;
  ::QueryServiceConfigW(service->get(), nullptr, 0, &needed);
  std::vector<unsigned char> buffer(needed > 0 ? needed : sizeof(QUERY_SERVICE_CONFIGW));
  auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
  if (::QueryServiceConfigW(service->get(), config, static_cast<DWORD>(buffer.size()), &needed)) {
    if (config->lpBinaryPathName != nullptr) state.command_line = text_of(config->lpBinaryPathName);
    if (config->lpServiceStartName != nullptr) {
      state.account = text_of(config->lpServiceStartName);
    }
  }
  return state;
}

}  // namespace ferry::cli
