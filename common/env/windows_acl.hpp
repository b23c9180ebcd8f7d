// Windows access lists for Ferry's own files (Windows has no permission bits). The list is made
// apart from applying it so that tests can check it where Wine cannot: Wine accepts an access
// list on a file but neither keeps it nor enforces it as Windows does (docs/windows.md).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <windows.h>

#include "common/error/error.hpp"

namespace ferry::env::windows {

struct LocalDeleter {
  void operator()(void* memory) const { ::LocalFree(memory); }
};
using AclPtr = std::unique_ptr<ACL, LocalDeleter>;

// The system's words for a Windows error code (GetLastError's).
std::string system_message(DWORD code);

using Sid = std::vector<unsigned char>;

// The SID of the user this process runs as (for a service, its account's).
Result<Sid> process_user_sid();
Result<Sid> well_known_sid(WELL_KNOWN_SID_TYPE type);
// "DOMAIN\name" (as icacls takes it), or "*S-1-5-..." for a SID without a name.
std::string account_of(const void* sid);

// The Windows service Ferry installs (`ferry service install`, the MSI), whose virtual account
// NT SERVICE\Ferry runs the agent.
inline constexpr std::wstring_view kServiceName = L"Ferry";

// The SID of the virtual account "NT SERVICE\<service_name>": S-1-5-80- and the five 32-bit words
// (little-endian) of the SHA-1 of the name in capitals as UTF-16LE, as Windows derives it. Made
// here rather than looked up, so that it needs no installed service (and Wine, which has no
// virtual accounts, gives the same).
Result<Sid> service_sid(std::wstring_view service_name);

// The accounts Ferry's private files trust: this process's user, SYSTEM and Administrators (who
// stand where root does on Linux) and the Ferry service's account (NT SERVICE\Ferry), so that an
// administrator and the service can each read what the other wrote. The user comes first.
Result<std::vector<Sid>> trusted_accounts();

// Full control for the trusted_accounts(), and no one else; for a folder, inherited by
// everything in it. With `users_read`, also read for BUILTIN\Users.
Result<AclPtr> owner_only_acl(bool folder, bool users_read = false);

// The Administrators group, when this process's token may make it the owner of what it creates
// (an elevated administrator's: the group is enabled and marked SE_GROUP_OWNER); nullopt
// otherwise. Windows 10 and 11 make an administrator's files the user's own, which the service's
// account would not trust (secret_file.hpp); Windows Server makes them the group's.
std::optional<Sid> administrators_as_owner();

// A protected security descriptor (nothing inherited from the folder above) holding an access
// list, for CreateFileW and CreateDirectoryW: a file made with it has its list from the start.
// (Wine, which does not keep a list set later, keeps this one as the file's Unix mode.) Made by
// an elevated administrator, its owner is the Administrators group (administrators_as_owner), so
// that the service trusts what an administrator's `ferry keys init` made, as on Windows Server.
class ProtectedDescriptor {
 public:
  explicit ProtectedDescriptor(AclPtr acl);
  ProtectedDescriptor(const ProtectedDescriptor&) = delete;
  ProtectedDescriptor& operator=(const ProtectedDescriptor&) = delete;
  SECURITY_ATTRIBUTES* attributes() { return &attributes_; }

 private:
  AclPtr acl_;
  std::optional<Sid> owner_;
  SECURITY_DESCRIPTOR descriptor_{};
  SECURITY_ATTRIBUTES attributes_{};
};

// Sets `acl` as the access list of `path`, protected: nothing inherited from the folder above.
Result<void> set_protected_acl(const std::filesystem::path& path, const ACL& acl);

}  // namespace ferry::env::windows
