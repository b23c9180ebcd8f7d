// The process's environment on Windows (env_expand.hpp): GetEnvironmentVariableW, which reads
// the value in UTF-16 (getenv converts through the code page) and tells an empty variable from a
// missing one (the C runtime keeps no empty ones).
#include <filesystem>
#include <string>

#include <windows.h>

#include "common/config/env_expand.hpp"
#include "common/error/path_text.hpp"

namespace ferry::config {

std::optional<std::string> process_env(const std::string& name) {
  // std::filesystem::path converts between UTF-8 and UTF-16 on Windows (path_text back).
  const std::wstring wide_name = std::filesystem::u8path(name).wstring();
  ::SetLastError(ERROR_SUCCESS);
  const DWORD size = ::GetEnvironmentVariableW(wide_name.c_str(), nullptr, 0);
  if (size == 0) {
    if (::GetLastError() == ERROR_ENVVAR_NOT_FOUND) return std::nullopt;
    return std::string();
  }
  std::wstring value(size, L'\0');
  const DWORD got = ::GetEnvironmentVariableW(wide_name.c_str(), value.data(), size);
  value.resize(got);
  return path_text(std::filesystem::path(value));
}

}  // namespace ferry::config
