#include "tests/support/unprivileged.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/skip.hpp"

extern char** environ;

namespace ferry::test {
namespace {

// setpriv on $PATH, then where Debian puts it.
std::string find_setpriv() {
  std::vector<std::string> folders;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string list = path;
    for (std::size_t start = 0; start <= list.size();) {
      const auto end = std::min(list.find(':', start), list.size());
      if (end > start) folders.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  folders.insert(folders.end(), {"/usr/bin", "/bin", "/usr/sbin", "/sbin"});
  for (const auto& folder : folders) {
    const std::string candidate = folder + "/setpriv";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// The test case's name as a Catch test spec that matches it alone: the characters Catch parses
// in a name escaped as catch_discover_tests does.
std::string name_filter(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (c == ',' || c == '[' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

bool ran_unprivileged_in_child() {
  if (::geteuid() != 0) return false;

  const std::string setpriv = find_setpriv();
  if (setpriv.empty()) {
    FAIL(
        "running as root, where file permissions do not apply, and setpriv (util-linux) is not "
        "installed: this permission test cannot run as an unprivileged user. Install util-linux "
        "or run the tests as a user other than root.");
    return true;
  }
  const passwd* user = ::getpwnam("nobody");
  if (user == nullptr) {
    FAIL("running as root and there is no user 'nobody' to run this test as");
    return true;
  }
  const group* nogroup = ::getgrnam("nogroup");
  const gid_t gid = nogroup != nullptr ? nogroup->gr_gid : user->pw_gid;

  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    FAIL("cannot find this test executable (/proc/self/exe): " << ec.message());
    return true;
  }
  const std::string test_name = Catch::getResultCapture().getCurrentTestName();

  std::vector<std::string> args = {setpriv,
                                   "--reuid=" + std::to_string(user->pw_uid),
                                   "--regid=" + std::to_string(gid),
                                   "--clear-groups",
                                   "--",
                                   self.string(),
                                   name_filter(test_name)};
  std::cout.flush();  // what this process printed so far comes before the child's output
  std::cerr.flush();
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, setpriv.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    FAIL("cannot start " << setpriv << ": " << std::strerror(spawned));
    return true;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  INFO("running as root: this test case ran again as user nobody (uid "
       << user->pw_uid << ", gid " << gid << ") in a child process, whose output is above");
  if (WIFEXITED(status) && WEXITSTATUS(status) == kSkipExitCode) {
    note_skipped("skipped when run as user nobody (see the child's output above)");
    return true;
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127)) {
    INFO("setpriv could not start " << self.string()
                                    << " as nobody: every folder above it must be open to others "
                                       "(mode o+x). Clone the project where others may enter, or "
                                       "run the tests as a user other than root.");
    CHECK(WEXITSTATUS(status) == 0);
    return true;
  }
  INFO("the child " << (WIFEXITED(status)
                            ? "exited with " + std::to_string(WEXITSTATUS(status))
                            : "was killed by signal " + std::to_string(WTERMSIG(status))));
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  return true;
}

}  // namespace ferry::test
