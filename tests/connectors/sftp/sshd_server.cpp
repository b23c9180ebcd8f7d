#include "tests/connectors/sftp/sshd_server.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/process.hpp"

extern char** environ;

namespace ferry::test {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kUnshare = "/usr/bin/unshare";
// First thing in sshd's new mount namespace: make its mounts private, so that nothing mounted
// there reaches the machine's own namespace. `unshare --propagation private` does that to "/",
// which fails where "/" is no mount point (a chroot, as ../shared/tools/fresh-debian.sh makes):
// then /etc alone is made a private mount of its own.
constexpr const char* kPrivateMounts =
    "mount --make-rprivate / 2>/dev/null || { mount --bind /etc /etc && mount --make-private /etc; "
    "}";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string field(const std::string& line, int index) {
  std::istringstream words(line);
  std::string word;
  for (int i = 0; i <= index && (words >> word); ++i) {
  }
  return word;
}

void write_text(const std::filesystem::path& path, const std::string& text,
                std::filesystem::perms mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::filesystem::permissions(path, mode);
}

ProcessResult must_run(const std::vector<std::string>& argv) {
  auto result = run_process(argv);
  if (result.exit_code != 0) {
    throw std::runtime_error(argv[0] + " failed: " + first_line(result.err));
  }
  return result;
}

// A uid no account has, for the test user.
uid_t free_uid() {
  for (uid_t uid = 64990; uid > 60000; --uid) {
    if (::getpwuid(uid) == nullptr) return uid;
  }
  throw std::runtime_error("no free uid for the SFTP test user");
}

}  // namespace

std::optional<std::string> SshdServer::unavailable() {
  if (!std::filesystem::exists(kSshd)) {
    return "OpenSSH's sshd is not installed (bash packaging/install-build-deps.sh installs "
           "openssh-server)";
  }
  if (::geteuid() != 0) {
    return "the SFTP tests start sshd as root (with a user of their own in a mount namespace); "
           "run them as root";
  }
  if (::getpwnam("sshd") == nullptr) {
    return "sshd's privilege separation user 'sshd' does not exist (reinstall openssh-server)";
  }
  auto probe = run_process(
      {kUnshare, "--mount", "--propagation", "unchanged", "/bin/sh", "-c", kPrivateMounts});
  if (probe.exit_code != 0) {
    return "cannot make a mount namespace (unshare --mount): " + first_line(probe.err);
  }
  return std::nullopt;
}

SshdServer::SshdServer() {
  namespace fs = std::filesystem;
  const fs::path root = dir_.path();
  // The test user reads authorized_keys and the files through these folders.
  fs::permissions(root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  for (const char* folder : {"home", "files"}) fs::create_directory(root / folder);
  // sshd's privilege separation folder (the Debian service makes it at start).
  fs::create_directories("/run/sshd");

  must_run({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ferry-test-host", "-f",
            (root / "host_ed25519").string()});
  host_public_key_ = first_line(read_file(root / "host_ed25519.pub"));
  host_public_key_ = field(host_public_key_, 0) + " " + field(host_public_key_, 1);
  host_fingerprint_ =
      field(must_run({"/usr/bin/ssh-keygen", "-lf", (root / "host_ed25519.pub").string()}).out, 1);

  const std::string hash = first_line(
      must_run({"/usr/bin/openssl", "passwd", "-6", "-salt", "ferrytestsalt", kPassword}).out);
  const uid_t uid = free_uid();
  std::ostringstream user;
  user << kUser << ":x:" << uid << ":65534:Ferry SFTP test:" << (root / "home").string()
       << ":/bin/sh\n";
  write_text(root / "passwd", read_file("/etc/passwd") + user.str(),
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                 fs::perms::others_read);
  write_text(root / "shadow",
             read_file("/etc/shadow") + kUser + ":" + hash + ":19000:0:99999:7:::\n",
             fs::perms::owner_read | fs::perms::owner_write);
  write_text(root / "authorized_keys", "",
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                 fs::perms::others_read);
  write_text(root / "sshd_config",
             "HostKey " + (root / "host_ed25519").string() + "\n" + "AuthorizedKeysFile " +
                 (root / "authorized_keys").string() + "\n" +
                 "PidFile none\n"
                 "StrictModes no\n"  // the keys live under /tmp
                 "UsePAM no\n"
                 "PubkeyAuthentication yes\n"
                 "PasswordAuthentication yes\n"
                 "KbdInteractiveAuthentication no\n"
                 "PermitRootLogin no\n"
                 "AllowUsers " +
                 kUser + "\n" +
                 "Subsystem sftp internal-sftp\n"
                 "LogLevel DEBUG1\n",
             fs::perms::owner_read | fs::perms::owner_write);

  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel chooses
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error(std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

SshdServer::~SshdServer() {
  ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listener_);
  std::lock_guard lock(children_mutex_);
  for (pid_t child : children_) {
    ::kill(child, SIGTERM);
    int status = 0;
    ::waitpid(child, &status, 0);
  }
}

void SshdServer::accept_loop() {
  const std::filesystem::path root = dir_.path();
  // In a mount namespace of its own: the copies of passwd and shadow with the test user over the
  // real ones, then sshd for the one connection on its standard input and output.
  const std::string script =
      std::string(kPrivateMounts) +
      " && mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/shadow && "
      "exec /usr/sbin/sshd -i -f \"$3\" -E \"$4\"";
  const std::vector<std::string> args = {kUnshare,
                                         "--mount",
                                         "--propagation",
                                         "unchanged",
                                         "--",
                                         "/bin/sh",
                                         "-c",
                                         script,
                                         "sh",
                                         (root / "passwd").string(),
                                         (root / "shadow").string(),
                                         (root / "sshd_config").string(),
                                         (root / "sshd.log").string()};
  const std::string spawn_log = (root / "spawn.log").string();
  for (;;) {
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    ++connections_;
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, connection, STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, connection, STDOUT_FILENO);
    ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, spawn_log.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    pid_t child = -1;
    const int spawned = ::posix_spawn(&child, kUnshare, &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(connection);
    if (spawned == 0) {
      std::lock_guard lock(children_mutex_);
      children_.push_back(child);
    }
  }
}

std::string SshdServer::known_hosts_line() const {
  return "[127.0.0.1]:" + std::to_string(port_) + " " + host_public_key_ + "\n";
}

std::filesystem::path SshdServer::make_client_key(const std::string& name, bool authorized,
                                                  const std::string& passphrase) {
  const std::filesystem::path key = dir_ / name;
  must_run({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f",
            key.string()});
  if (authorized) {
    std::ofstream keys(dir_ / "authorized_keys", std::ios::app);
    keys << read_file(key.string() + ".pub");
  }
  return key;
}

std::string SshdServer::log() const { return read_file(dir_ / "sshd.log"); }

}  // namespace ferry::test
