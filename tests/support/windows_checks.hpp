// Windows only: the checks system_checks_windows.cpp makes, on an access list itself.
#pragma once

#include <windows.h>

namespace ferry::test {

// `acl` allows this process's user, SYSTEM, Administrators and NT SERVICE\Ferry, each once, and no
// one else.
bool owner_only_list(const ACL& acl);

}  // namespace ferry::test
