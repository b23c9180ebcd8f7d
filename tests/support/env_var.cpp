#include "tests/support/env_var.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

#ifdef _WIN32
#include <windows.h>
#endif

namespace ferry::test {

#ifdef _WIN32
// Both the system's environment (GetEnvironmentVariableW, which the configuration reads) and the
// C runtime's copy (getenv). The C runtime keeps no empty variable: _putenv_s with "" removes it.
void set_env(const char* name, const char* value) {
  if (!::SetEnvironmentVariableA(name, value) ||
      (*value != '\0' && ::_putenv_s(name, value) != 0)) {
    throw std::runtime_error(std::string("cannot set ") + name);
  }
}
void unset_env(const char* name) {
  ::SetEnvironmentVariableA(name, nullptr);
  ::_putenv_s(name, "");
}
#else
void set_env(const char* name, const char* value) {
  if (::setenv(name, value, 1) != 0) throw std::runtime_error(std::string("cannot set ") + name);
}
void unset_env(const char* name) { ::unsetenv(name); }
#endif

}  // namespace ferry::test
