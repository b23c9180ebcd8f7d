#include <algorithm>
#include <array>
#include <memory>
#include <system_error>
#include <vector>

#include <windows.h>
// After windows.h:
#include <aclapi.h>
#include <sddl.h>

#include "common/env/windows_acl.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/windows_checks.hpp"

namespace ferry::test {
namespace {

std::vector<unsigned char> user_sid() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return {};
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size);
  const bool read = size > 0 && ::GetTokenInformation(token, TokenUser, buffer.data(), size, &size);
  ::CloseHandle(token);
  if (!read) return {};
  const PSID sid = reinterpret_cast<const TOKEN_USER*>(buffer.data())->User.Sid;
  const auto* bytes = static_cast<const unsigned char*>(sid);
  return {bytes, bytes + ::GetLengthSid(sid)};
}

std::vector<unsigned char> well_known(WELL_KNOWN_SID_TYPE type) {
  std::array<unsigned char, SECURITY_MAX_SID_SIZE> sid{};
  DWORD size = sid.size();
  if (!::CreateWellKnownSid(type, nullptr, sid.data(), &size)) return {};
  return {sid.begin(), sid.begin() + size};
}

// NT SERVICE\Ferry, the service's virtual account: its SID as Windows derives it (the SHA-1 of
// "FERRY" in UTF-16LE), worked out apart from the agent's code (python3 hashlib).
std::vector<unsigned char> ferry_service_sid() {
  PSID sid = nullptr;
  if (!::ConvertStringSidToSidW(L"S-1-5-80-4052256970-1309774770-3364190890-822515559-807314234",
                                &sid)) {
    return {};
  }
  const auto* bytes = static_cast<const unsigned char*>(sid);
  std::vector<unsigned char> made(bytes, bytes + ::GetLengthSid(sid));
  ::LocalFree(sid);
  return made;
}

bool running_under_wine() {
  // Wine's ntdll exports wine_get_version; Windows' does not.
  const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

// What Wine shows of a list given at creation: the Unix mode it made of it, as entries for the
// user and SYSTEM (and Everyone when others may read). Owner-only there: the user's entry, and no
// one's but the user's, SYSTEM's or Administrators'.
bool owner_only_under_wine(const ACL& acl) {
  const std::vector<std::vector<unsigned char>> allowed = {
      user_sid(), well_known(WinLocalSystemSid), well_known(WinBuiltinAdministratorsSid),
      ferry_service_sid()};
  ACL_SIZE_INFORMATION size{};
  auto* list = const_cast<ACL*>(&acl);
  if (!::GetAclInformation(list, &size, sizeof(size), AclSizeInformation)) return false;
  bool user_found = false;
  for (DWORD i = 0; i < size.AceCount; ++i) {
    void* entry = nullptr;
    if (!::GetAce(list, i, &entry)) return false;
    if (static_cast<const ACE_HEADER*>(entry)->AceType != ACCESS_ALLOWED_ACE_TYPE) return false;
    auto* sid =
        reinterpret_cast<unsigned char*>(&static_cast<ACCESS_ALLOWED_ACE*>(entry)->SidStart);
    const std::vector<unsigned char> who(sid, sid + ::GetLengthSid(sid));
    if (std::find(allowed.begin(), allowed.end(), who) == allowed.end()) return false;
    user_found = user_found || who == allowed.front();
  }
  return user_found;
}

}  // namespace

bool owner_only_list(const ACL& acl) {
  std::vector<std::vector<unsigned char>> wanted = {user_sid(), well_known(WinLocalSystemSid),
                                                    well_known(WinBuiltinAdministratorsSid),
                                                    ferry_service_sid()};
  ACL_SIZE_INFORMATION size{};
  auto* list = const_cast<ACL*>(&acl);
  if (!::GetAclInformation(list, &size, sizeof(size), AclSizeInformation)) return false;
  for (DWORD i = 0; i < size.AceCount; ++i) {
    void* entry = nullptr;
    if (!::GetAce(list, i, &entry)) return false;
    if (static_cast<const ACE_HEADER*>(entry)->AceType != ACCESS_ALLOWED_ACE_TYPE) return false;
    auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(entry);
    auto* sid = reinterpret_cast<unsigned char*>(&allowed->SidStart);
    const std::vector<unsigned char> who(sid, sid + ::GetLengthSid(sid));
    const auto it = std::find(wanted.begin(), wanted.end(), who);
    if (it == wanted.end()) return false;  // someone else, or one of the three twice
    wanted.erase(it);
  }
  return wanted.empty();
}

bool owner_only(const std::filesystem::path& path) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR raw = nullptr;
  if (::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                              nullptr, &dacl, nullptr, &raw) != ERROR_SUCCESS) {
    return false;
  }
  const std::unique_ptr<void, env::windows::LocalDeleter> descriptor(raw);
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  if (dacl == nullptr) return false;
  if (running_under_wine()) return owner_only_under_wine(*dacl);
  return ::GetSecurityDescriptorControl(raw, &control, &revision) &&
         (control & SE_DACL_PROTECTED) != 0 && owner_only_list(*dacl);
}

std::string missing_file_reason() {
  return std::error_code(ERROR_FILE_NOT_FOUND, std::system_category()).message();
}

std::optional<std::string> permissions_unchecked() {
  if (running_under_wine()) {
    return "Wine ignores an access list set on a file that exists (it keeps one given at "
           "creation, as a Unix mode); the list Ferry sets is checked by windows_acl_test, the "
           "file's on Windows only";
  }
  return std::nullopt;
}

}  // namespace ferry::test
