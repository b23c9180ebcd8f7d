// The secret-file rule on Windows (secret_file.hpp): a reparse point is refused; the open file's
// owner and access list are checked through its handle, so a swap after the check changes
// nothing; only then is it read.
#include "common/fs/secret_file.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include <windows.h>
// After windows.h:
#include <aclapi.h>
#include <fmt/format.h>

#include "common/env/windows_acl.hpp"
#include "common/env/windows_handle.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/read_handle.hpp"

namespace ferry::fs {
namespace {

namespace win = env::windows;

using Handle = env::windows::UniqueHandle;

win::Sid sid_bytes(const void* sid) {
  const auto* bytes = static_cast<const unsigned char*>(sid);
  return {bytes, bytes + ::GetLengthSid(const_cast<void*>(sid))};
}

std::string fix_command(const std::filesystem::path& path, const std::string& user) {
  return fmt::format(
      "icacls \"{}\" /inheritance:r /grant:r \"{}:F\" *S-1-5-18:F *S-1-5-32-544:F "
      "*S-1-5-80-4052256970-1309774770-3364190890-822515559-807314234:F (NT SERVICE\\Ferry), then "
      "remove every other entry icacls \"{}\" lists",
      path_text(path), user, path_text(path));
}

// Opens `path` itself (FILE_FLAG_OPEN_REPARSE_POINT: a link is opened, not what it points to, so
// that it is seen and refused) to read it and its access list; a folder too with `folder`.
Result<Handle> open_to_check(const std::filesystem::path& path, bool folder) {
  const DWORD flags = FILE_FLAG_OPEN_REPARSE_POINT | (folder ? FILE_FLAG_BACKUP_SEMANTICS : 0);
  Handle file(::CreateFileW(path.c_str(), GENERIC_READ | READ_CONTROL,
                            FILE_SHARE_READ | (folder ? FILE_SHARE_WRITE | FILE_SHARE_DELETE : 0),
                            nullptr, OPEN_EXISTING, flags, nullptr));
  if (file.get() == INVALID_HANDLE_VALUE) {
    const DWORD error = ::GetLastError();
    const ErrorCode code = error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND
                               ? ErrorCode::kNotFound
                           : error == ERROR_ACCESS_DENIED ? ErrorCode::kPermission
                                                          : ErrorCode::kIo;
    return make_error(code, "cannot read {}: {}", path_text(path), win::system_message(error));
  }
  return file;
}

// A reparse point (a symbolic link or junction) is refused; so is what is not a file on disk
// (`folder` false) or not a folder (`folder` true).
Result<void> check_kind(HANDLE file, const std::filesystem::path& path, bool folder) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(file, &info)) {
    return make_error(ErrorCode::kIo, "cannot read {}: {}", path_text(path),
                      win::system_message(::GetLastError()));
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
    return make_error(ErrorCode::kPermission,
                      "{} is a symbolic link or junction: point the setting at the {} itself "
                      "(whoever can change the link could make Ferry use another one)",
                      path_text(path), folder ? "folder" : "file");
  }
  const bool is_folder = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  if (folder && !is_folder) {
    return make_error(ErrorCode::kPermission, "{} is not a folder", path_text(path));
  }
  if (!folder && (is_folder || ::GetFileType(file) != FILE_TYPE_DISK)) {
    return make_error(ErrorCode::kPermission, "{} is not a regular file", path_text(path));
  }
  return {};
}

// The owner and every allowing entry of the access list must be one of win::trusted_accounts():
// this process's user, SYSTEM, Administrators or the Ferry service's account.
Result<void> check_access_list(HANDLE file, const std::filesystem::path& path) {
  auto trusted = win::trusted_accounts();
  if (!trusted) return tl::unexpected(trusted.error());
  const std::string user = win::account_of(trusted->front().data());
  auto is_trusted = [&](const void* sid) {
    return std::find(trusted->begin(), trusted->end(), sid_bytes(sid)) != trusted->end();
  };

  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR raw = nullptr;
  const DWORD read = ::GetSecurityInfo(file, SE_FILE_OBJECT,
                                       OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                       &owner, nullptr, &dacl, nullptr, &raw);
  if (read != ERROR_SUCCESS) {
    return make_error(ErrorCode::kIo, "cannot read the permissions of {}: {}", path_text(path),
                      win::system_message(read));
  }
  const std::unique_ptr<void, win::LocalDeleter> descriptor(raw);
  if (owner == nullptr || !is_trusted(owner)) {
    return make_error(ErrorCode::kPermission,
                      "{} belongs to {}, not to {} (who runs this command), SYSTEM, "
                      "Administrators or NT SERVICE\\Ferry: a file another account controls is not "
                      "trusted with a "
                      "secret; run icacls \"{}\" /setowner \"{}\"",
                      path_text(path), owner ? win::account_of(owner) : "no one", user,
                      path_text(path), user);
  }
  if (dacl == nullptr) {
    return make_error(ErrorCode::kPermission,
                      "{} has no access list, so anyone may read it: run {}", path_text(path),
                      fix_command(path, user));
  }
  ACL_SIZE_INFORMATION size{};
  if (!::GetAclInformation(dacl, &size, sizeof(size), AclSizeInformation)) {
    return make_error(ErrorCode::kIo, "cannot read the permissions of {}: {}", path_text(path),
                      win::system_message(::GetLastError()));
  }
  for (DWORD i = 0; i < size.AceCount; ++i) {
    void* entry = nullptr;
    if (!::GetAce(dacl, i, &entry)) continue;
    const auto* header = static_cast<const ACE_HEADER*>(entry);
    if ((header->AceFlags & INHERIT_ONLY_ACE) != 0) continue;  // for what is made in a folder
    if (header->AceType == ACCESS_DENIED_ACE_TYPE) continue;   // takes away, never gives
    if (header->AceType == ACCESS_ALLOWED_ACE_TYPE) {
      const auto* allowed = static_cast<const ACCESS_ALLOWED_ACE*>(entry);
      if (allowed->Mask == 0 || is_trusted(&allowed->SidStart)) continue;
      const bool reads = (allowed->Mask & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) != 0;
      return make_error(ErrorCode::kPermission, "{} is {} {}: run {}", path_text(path),
                        reads ? "readable by" : "accessible to",
                        win::account_of(&allowed->SidStart), fix_command(path, user));
    }
    return make_error(ErrorCode::kPermission,
                      "{} has an access list entry Ferry does not check (type {}): run {}",
                      path_text(path), header->AceType, fix_command(path, user));
  }
  return {};
}

}  // namespace

Result<std::string> read_secret_file(const std::filesystem::path& path, std::size_t max_size,
                                     const std::filesystem::path& /*service_dir*/,
                                     SecretSharing /*sharing*/) {
  auto file = open_to_check(path, false);
  if (!file) return tl::unexpected(file.error());
  if (auto kind = check_kind(file->get(), path, false); !kind) return tl::unexpected(kind.error());
  if (auto checked = check_access_list(file->get(), path); !checked) {
    return tl::unexpected(checked.error());
  }
  return read_handle(file->get(), path, max_size);
}

Result<void> check_private_folder(const std::filesystem::path& path) {
  auto folder = open_to_check(path, true);
  if (!folder) return tl::unexpected(folder.error());
  if (auto kind = check_kind(folder->get(), path, true); !kind) return kind;
  return check_access_list(folder->get(), path);
}

}  // namespace ferry::fs
