#include "common/env/user.hpp"

#include <cerrno>
#include <vector>

#include <pwd.h>
#include <unistd.h>

namespace ferry::env {

UserId current_user() { return ::getuid(); }

std::string user_name(const UserId& user) {
  std::vector<char> buffer(16 * 1024);
  passwd entry{};
  passwd* found = nullptr;
  while (::getpwuid_r(user, &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < 1024 * 1024) {
    buffer.resize(buffer.size() * 2);
  }
  return found != nullptr ? std::string(found->pw_name) : std::to_string(user);
}

}  // namespace ferry::env
