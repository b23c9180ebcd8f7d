// The access list make_private sets on Windows, checked as a list: Wine does not keep it on the
// file (system_checks.hpp, permissions_unchecked), so this is where it is checked under Wine.
#include "common/env/windows_acl.hpp"

#include <string>

#include <catch2/catch.hpp>
// After windows.h:
#include <sddl.h>

#include "tests/support/skip.hpp"
#include "tests/support/windows_checks.hpp"

namespace ferry::env::windows {
namespace {

TEST_CASE("a service account's SID is derived from the service's name as Windows derives it") {
  // TrustedInstaller's SID, as every Windows machine lists it.
  auto sid = service_sid(L"TrustedInstaller");
  REQUIRE(sid);
  LPWSTR text = nullptr;
  REQUIRE(::ConvertSidToStringSidW(sid->data(), &text));
  const std::wstring made(text);
  ::LocalFree(text);
  CHECK(made == L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
  // The name's case does not matter: Windows takes it in capitals.
  auto lower = service_sid(L"trustedinstaller");
  REQUIRE(lower);
  CHECK(*lower == *sid);
}

TEST_CASE("the private access list names the agent's user SYSTEM Administrators and the service") {
  for (const bool folder : {false, true}) {
    INFO((folder ? "a folder" : "a file"));
    auto acl = owner_only_acl(folder);
    REQUIRE(acl);
    CHECK(test::owner_only_list(**acl));
    ACL_SIZE_INFORMATION size{};
    REQUIRE(::GetAclInformation(acl->get(), &size, sizeof(size), AclSizeInformation));
    REQUIRE(size.AceCount == 4);
    for (DWORD i = 0; i < size.AceCount; ++i) {
      void* entry = nullptr;
      REQUIRE(::GetAce(acl->get(), i, &entry));
      const auto* header = static_cast<const ACE_HEADER*>(entry);
      // A folder's list is inherited by what is made in it; a file's has nothing to pass on.
      const BYTE inherit = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE;
      CHECK((header->AceFlags & inherit) == (folder ? inherit : 0));
      CHECK(static_cast<const ACCESS_ALLOWED_ACE*>(entry)->Mask != 0);
    }
  }
}

TEST_CASE("what an elevated administrator makes belongs to the Administrators group") {
  // Windows 10 and 11 would make it the user's, which the service's account does not trust.
  const auto owner = administrators_as_owner();
  if (!owner) FERRY_SKIP("this process is not an elevated administrator");
  auto acl = owner_only_acl(false);
  REQUIRE(acl);
  ProtectedDescriptor descriptor(std::move(*acl));
  PSID made = nullptr;
  BOOL defaulted = TRUE;
  REQUIRE(::GetSecurityDescriptorOwner(descriptor.attributes()->lpSecurityDescriptor, &made,
                                       &defaulted));
  REQUIRE(made != nullptr);
  CHECK(::EqualSid(made, const_cast<unsigned char*>(owner->data())));
  CHECK_FALSE(defaulted);
}

}  // namespace
}  // namespace ferry::env::windows
