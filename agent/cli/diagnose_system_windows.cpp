#include "agent/cli/diagnose_system.hpp"

#include <array>

#include <fmt/format.h>
#include <windows.h>

#include "common/error/path_text.hpp"

namespace ferry::cli {
namespace {

// A text value under HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion; "unknown" when absent.
std::string current_version(const wchar_t* name) {
  std::array<wchar_t, 256> value{};
  DWORD size = sizeof value;
  if (::RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", name,
                     RRF_RT_REG_SZ, nullptr, value.data(), &size) != ERROR_SUCCESS) {
    return "unknown";
  }
  return path_text(std::filesystem::path(value.data()));
}

}  // namespace

std::string system_versions() {
  return fmt::format("os {} (build {})\n", current_version(L"ProductName"),
                     current_version(L"CurrentBuildNumber"));
}

std::string file_line(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return fmt::format("{}  (cannot stat: missing?)", path_text(path));
  }
  const char type = std::filesystem::is_directory(status)      ? 'd'
                    : std::filesystem::is_symlink(status)      ? 'l'
                    : std::filesystem::is_regular_file(status) ? '-'
                                                               : '?';
  const auto size = std::filesystem::is_regular_file(status) ? std::filesystem::file_size(path, ec)
                                                             : std::uintmax_t{0};
  // Who may read it is an access list, not a mode: icacls shows it.
  return fmt::format("{}  {:>12}  {}", type, ec ? 0 : size, path_text(path));
}

std::string service_log(std::size_t) {
  return "(no log file: set agent.log.file, or look in <data_dir>\\logs\\ferry.log, which the "
         "agent writes when it runs without one)\n";
}

}  // namespace ferry::cli
