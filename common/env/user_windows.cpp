#include "common/env/user.hpp"

#include <filesystem>

#include <windows.h>
// After windows.h:
#include <sddl.h>

#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"

namespace ferry::env {

UserId current_user() {
  auto sid = windows::process_user_sid();
  LPWSTR text = nullptr;
  if (!sid || !::ConvertSidToStringSidW(sid->data(), &text)) return {};
  UserId id = path_text(std::filesystem::path(text));  // a SID's text is ASCII
  ::LocalFree(text);
  return id;
}

std::string user_name(const UserId& user) {
  PSID sid = nullptr;
  if (!::ConvertStringSidToSidW(std::filesystem::path(user).c_str(), &sid)) return user;
  std::string name = windows::account_of(sid);
  ::LocalFree(sid);
  return name;
}

}  // namespace ferry::env
