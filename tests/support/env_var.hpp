// Setting and removing environment variables in tests, the same way on both systems (setenv and
// unsetenv on Linux; _putenv_s on Windows, which std::getenv reads).
#pragma once

namespace ferry::test {

void set_env(const char* name, const char* value);
void unset_env(const char* name);

// Sets a variable for as long as the object lives, then removes it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { set_env(name, value); }
  ~ScopedEnv() { unset_env(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

}  // namespace ferry::test
