#include "common/env/windows_acl.hpp"

#include <array>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

// After windows.h:
#include <aclapi.h>
#include <sddl.h>

#include "common/error/path_text.hpp"

namespace ferry::env::windows {

std::string system_message(DWORD code) {
  return std::error_code(static_cast<int>(code), std::system_category()).message();
}

Result<Sid> process_user_sid() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) {
    return make_error(ErrorCode::kIo, "cannot read this process's user (OpenProcessToken): {}",
                      system_message(::GetLastError()));
  }
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size);
  const bool read = size > 0 && ::GetTokenInformation(token, TokenUser, buffer.data(), size, &size);
  const DWORD error = ::GetLastError();
  ::CloseHandle(token);
  if (!read) {
    return make_error(ErrorCode::kIo, "cannot read this process's user (GetTokenInformation): {}",
                      system_message(error));
  }
  const PSID sid = reinterpret_cast<const TOKEN_USER*>(buffer.data())->User.Sid;
  const auto* bytes = static_cast<const unsigned char*>(sid);
  return std::vector<unsigned char>(bytes, bytes + ::GetLengthSid(sid));
}

Result<Sid> well_known_sid(WELL_KNOWN_SID_TYPE type) {
  std::array<unsigned char, SECURITY_MAX_SID_SIZE> sid{};
  DWORD size = sid.size();
  if (!::CreateWellKnownSid(type, nullptr, sid.data(), &size)) {
    return make_error(ErrorCode::kInternal, "cannot make a well-known SID: {}",
                      system_message(::GetLastError()));
  }
  return std::vector<unsigned char>(sid.begin(), sid.begin() + size);
}

std::string account_of(const void* sid) {
  auto* id = const_cast<void*>(sid);
  std::array<wchar_t, 256> name{};
  std::array<wchar_t, 256> domain{};
  DWORD name_size = name.size();
  DWORD domain_size = domain.size();
  SID_NAME_USE use{};
  std::wstring text;
  if (::LookupAccountSidW(nullptr, id, name.data(), &name_size, domain.data(), &domain_size,
                          &use)) {
    text = domain_size > 0 ? std::wstring(domain.data()) + L"\\" + name.data() : name.data();
  } else {
    LPWSTR raw = nullptr;
    if (!::ConvertSidToStringSidW(id, &raw)) return "an unknown account";
    text = L"*" + std::wstring(raw);
    ::LocalFree(raw);
  }
  return path_text(std::filesystem::path(text));  // UTF-16 to UTF-8
}

Result<AclPtr> owner_only_acl(bool folder, bool users_read) {
  auto user = process_user_sid();
  if (!user) return tl::unexpected(user.error());
  auto system = well_known_sid(WinLocalSystemSid);
  if (!system) return tl::unexpected(system.error());
  auto administrators = well_known_sid(WinBuiltinAdministratorsSid);
  if (!administrators) return tl::unexpected(administrators.error());
  auto users = well_known_sid(WinBuiltinUsersSid);
  if (!users) return tl::unexpected(users.error());
  const std::array<void*, 4> sids = {user->data(), system->data(), administrators->data(),
                                     users->data()};
  std::array<EXPLICIT_ACCESS_W, 4> entries{};
  const std::size_t count = users_read ? 4 : 3;
  for (std::size_t i = 0; i < count; ++i) {
    entries[i].grfAccessPermissions = i == 3 ? GENERIC_READ : GENERIC_ALL;
    entries[i].grfAccessMode = SET_ACCESS;
    entries[i].grfInheritance = folder ? SUB_CONTAINERS_AND_OBJECTS_INHERIT : NO_INHERITANCE;
    entries[i].Trustee.TrusteeForm = TRUSTEE_IS_SID;
    entries[i].Trustee.TrusteeType = i >= 2 ? TRUSTEE_IS_GROUP : TRUSTEE_IS_USER;
    entries[i].Trustee.ptstrName = static_cast<LPWSTR>(sids[i]);
  }
  PACL raw = nullptr;
  const DWORD made = ::SetEntriesInAclW(static_cast<ULONG>(count), entries.data(), nullptr, &raw);
  if (made != ERROR_SUCCESS) {
    return make_error(ErrorCode::kInternal, "cannot make an access list: {}", system_message(made));
  }
  return AclPtr(raw);
}

ProtectedDescriptor::ProtectedDescriptor(AclPtr acl) : acl_(std::move(acl)) {
  ::InitializeSecurityDescriptor(&descriptor_, SECURITY_DESCRIPTOR_REVISION);
  ::SetSecurityDescriptorDacl(&descriptor_, TRUE, acl_.get(), FALSE);
  ::SetSecurityDescriptorControl(&descriptor_, SE_DACL_PROTECTED, SE_DACL_PROTECTED);
  attributes_.nLength = sizeof(attributes_);
  attributes_.lpSecurityDescriptor = &descriptor_;
  attributes_.bInheritHandle = FALSE;
}

Result<void> set_protected_acl(const std::filesystem::path& path, const ACL& acl) {
  std::wstring name = path.wstring();
  const DWORD set = ::SetNamedSecurityInfoW(
      name.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
      nullptr, nullptr, const_cast<PACL>(&acl), nullptr);
  if (set != ERROR_SUCCESS) {
    const ErrorCode code = set == ERROR_ACCESS_DENIED ? ErrorCode::kPermission : ErrorCode::kIo;
    return make_error(code, "cannot restrict the permissions of {}: {}", path_text(path),
                      system_message(set));
  }
  return {};
}

}  // namespace ferry::env::windows
