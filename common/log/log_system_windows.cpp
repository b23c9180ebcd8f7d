// What the logger asks of the system, on Windows (log_system.hpp). No journal; a log file and
// its folder are the agent's own (the owner-only access list: the user, SYSTEM, Administrators).
#include "common/log/log_system.hpp"

#include <utility>

#include <io.h>
#include <windows.h>

#include "common/env/windows_acl.hpp"

namespace ferry::log::detail {

bool stderr_is_journal() { return false; }

bool stderr_is_terminal() { return ::_isatty(2) != 0; }

void create_log_file(const std::string& name) {
  auto acl = env::windows::owner_only_acl(false);
  if (!acl) return;  // spdlog then makes it with what the folder gives
  env::windows::ProtectedDescriptor descriptor(std::move(*acl));
  const std::filesystem::path path = std::filesystem::u8path(name);
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                              descriptor.attributes(), CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file != INVALID_HANDLE_VALUE) ::CloseHandle(file);
}

Result<void> create_log_folder(const std::filesystem::path& folder) {
  auto acl = env::windows::owner_only_acl(true);
  if (!acl) return tl::unexpected(acl.error());
  env::windows::ProtectedDescriptor descriptor(std::move(*acl));
  if (!::CreateDirectoryW(folder.c_str(), descriptor.attributes())) {
    const DWORD error = ::GetLastError();
    if (error != ERROR_ALREADY_EXISTS) {
      return make_error(ErrorCode::kIo, "{}", env::windows::system_message(error));
    }
  }
  return {};
}

}  // namespace ferry::log::detail
