#include "common/env/windows_acl.hpp"

#include <array>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

// After windows.h:
#include <aclapi.h>
#include <openssl/evp.h>
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

Result<Sid> service_sid(std::wstring_view service_name) {
  std::wstring upper(service_name);
  if (!upper.empty()) ::CharUpperBuffW(upper.data(), static_cast<DWORD>(upper.size()));
  std::array<unsigned char, 20> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(upper.data(), upper.size() * sizeof(wchar_t), digest.data(), &digest_size,
                 EVP_sha1(), nullptr) != 1 ||
      digest_size != digest.size()) {
    return make_error(ErrorCode::kInternal, "cannot make the SID of a service account");
  }
  SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
  std::array<DWORD, 5> words{};
  for (std::size_t i = 0; i < words.size(); ++i) {
    words[i] = static_cast<DWORD>(digest[4 * i]) | static_cast<DWORD>(digest[4 * i + 1]) << 8 |
               static_cast<DWORD>(digest[4 * i + 2]) << 16 |
               static_cast<DWORD>(digest[4 * i + 3]) << 24;
  }
  PSID sid = nullptr;
  if (!::AllocateAndInitializeSid(&nt, 6, SECURITY_SERVICE_ID_BASE_RID, words[0], words[1],
                                  words[2], words[3], words[4], 0, 0, &sid)) {
    return make_error(ErrorCode::kInternal, "cannot make the SID of a service account: {}",
                      system_message(::GetLastError()));
  }
  const auto* bytes = static_cast<const unsigned char*>(sid);
  Sid made(bytes, bytes + ::GetLengthSid(sid));
  ::FreeSid(sid);
  return made;
}

Result<std::vector<Sid>> trusted_accounts() {
  std::vector<Sid> trusted;
  auto user = process_user_sid();
  if (!user) return tl::unexpected(user.error());
  trusted.push_back(std::move(*user));
  for (const auto type : {WinLocalSystemSid, WinBuiltinAdministratorsSid}) {
    auto sid = well_known_sid(type);
    if (!sid) return tl::unexpected(sid.error());
    if (sid != trusted.front()) trusted.push_back(std::move(*sid));
  }
  auto service = service_sid(kServiceName);
  if (!service) return tl::unexpected(service.error());
  if (service != trusted.front()) trusted.push_back(std::move(*service));
  return trusted;
}

Result<AclPtr> owner_only_acl(bool folder, bool users_read) {
  auto trusted = trusted_accounts();
  if (!trusted) return tl::unexpected(trusted.error());
  auto users = well_known_sid(WinBuiltinUsersSid);
  if (!users) return tl::unexpected(users.error());
  std::vector<EXPLICIT_ACCESS_W> entries;
  auto add = [&](Sid& sid, DWORD access, TRUSTEE_TYPE type) {
    EXPLICIT_ACCESS_W& entry = entries.emplace_back();
    entry.grfAccessPermissions = access;
    entry.grfAccessMode = SET_ACCESS;
    entry.grfInheritance = folder ? SUB_CONTAINERS_AND_OBJECTS_INHERIT : NO_INHERITANCE;
    entry.Trustee.TrusteeForm = TRUSTEE_IS_SID;
    entry.Trustee.TrusteeType = type;
    entry.Trustee.ptstrName = static_cast<LPWSTR>(static_cast<void*>(sid.data()));
  };
  for (Sid& sid : *trusted) add(sid, GENERIC_ALL, TRUSTEE_IS_UNKNOWN);
  if (users_read) add(*users, GENERIC_READ, TRUSTEE_IS_GROUP);
  PACL raw = nullptr;
  const DWORD made =
      ::SetEntriesInAclW(static_cast<ULONG>(entries.size()), entries.data(), nullptr, &raw);
  if (made != ERROR_SUCCESS) {
    return make_error(ErrorCode::kInternal, "cannot make an access list: {}", system_message(made));
  }
  return AclPtr(raw);
}

std::optional<Sid> administrators_as_owner() {
  auto administrators = well_known_sid(WinBuiltinAdministratorsSid);
  if (!administrators) return std::nullopt;
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return std::nullopt;
  DWORD size = 0;
  ::GetTokenInformation(token, TokenGroups, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size);
  const bool read =
      size > 0 && ::GetTokenInformation(token, TokenGroups, buffer.data(), size, &size);
  ::CloseHandle(token);
  if (!read) return std::nullopt;
  const auto* groups = reinterpret_cast<const TOKEN_GROUPS*>(buffer.data());
  constexpr DWORD kUsable = SE_GROUP_ENABLED | SE_GROUP_OWNER;
  for (DWORD i = 0; i < groups->GroupCount; ++i) {
    const SID_AND_ATTRIBUTES& group = groups->Groups[i];
    if ((group.Attributes & kUsable) == kUsable && ::EqualSid(group.Sid, administrators->data())) {
      return std::move(*administrators);
    }
  }
  return std::nullopt;
}

ProtectedDescriptor::ProtectedDescriptor(AclPtr acl)
    : acl_(std::move(acl)), owner_(administrators_as_owner()) {
  ::InitializeSecurityDescriptor(&descriptor_, SECURITY_DESCRIPTOR_REVISION);
  ::SetSecurityDescriptorDacl(&descriptor_, TRUE, acl_.get(), FALSE);
  if (owner_) ::SetSecurityDescriptorOwner(&descriptor_, owner_->data(), FALSE);
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
