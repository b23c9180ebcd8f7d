#include "tests/connectors/sql/db_server.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/netfault/wait_until.hpp"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Raise it when the template's layout changes in a way its hash does not see (a new file in it,
// say), so that caches made by older harnesses are not used.
constexpr int kTemplateFormat = 1;

constexpr auto kStartDeadline = 60s;
constexpr auto kStopDeadline = 60s;
constexpr auto kSessionsGoneDeadline = 20s;
constexpr int kPortAttempts = 5;
constexpr std::size_t kLogTailLines = 40;

constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kCp = "/bin/cp";
constexpr const char* kPostgresRoot = "/usr/lib/postgresql";
constexpr const char* kMariadbd = "/usr/sbin/mariadbd";
constexpr const char* kMariadbInstallDb = "/usr/bin/mariadb-install-db";
constexpr const char* kMariadbClient = "/usr/bin/mariadb";
constexpr const char* kPostgresSuperuser = "postgres";

// The user the servers run as: nobody when the tests run as root (PostgreSQL and MariaDB will
// not run as root), else nullopt, for the test's own user.
struct Account {
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<Account> server_account() {
  if (::geteuid() != 0) return std::nullopt;
  const passwd* user = ::getpwnam("nobody");
  if (user == nullptr) throw std::runtime_error("running as root and there is no user nobody");
  const group* nogroup = ::getgrnam("nogroup");
  return Account{.uid = user->pw_uid, .gid = nogroup != nullptr ? nogroup->gr_gid : user->pw_gid};
}

bool executable(const fs::path& path) { return ::access(path.c_str(), X_OK) == 0; }

// The bin folder of the newest PostgreSQL installed the Debian way (/usr/lib/postgresql/<major>),
// with the server, initdb and psql; nullopt when there is none. (psql from there, not Debian's
// /usr/bin/psql, a Perl wrapper that takes longer to start than the query it runs.)
std::optional<fs::path> find_postgres_bin() {
  std::optional<fs::path> best;
  int best_major = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kPostgresRoot, ec)) {
    const std::string version = entry.path().filename().string();
    if (version.empty() || !std::all_of(version.begin(), version.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; })) {
      continue;
    }
    const fs::path bin = entry.path() / "bin";
    if (!executable(bin / "postgres") || !executable(bin / "initdb") || !executable(bin / "psql")) {
      continue;
    }
    if (const int major = std::stoi(version); major > best_major) {
      best_major = major;
      best = bin;
    }
  }
  return best;
}

std::optional<fs::path> postgres_bin() {
  static const std::optional<fs::path> bin = find_postgres_bin();
  return bin;
}

fs::path postgres_tool(const char* name) {
  auto bin = postgres_bin();
  if (!bin) throw std::runtime_error("PostgreSQL is not installed");
  return *bin / name;
}

std::string chomp(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (std::size_t seen = 0; at > 0; --at) {
    if (text[at - 1] == '\n' && ++seen == lines) break;
  }
  return text.substr(at);
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void give_to(const fs::path& path, const std::optional<Account>& account) {
  if (account && ::chown(path.c_str(), account->uid, account->gid) != 0) {
    throw std::runtime_error("cannot chown " + path.string() + ": " + std::strerror(errno));
  }
}

// Runs a tool that writes into a server's data folder (initdb, mariadb-install-db) as the user the
// server runs as, and throws with its output when it fails.
void run_as_server_user(std::vector<std::string> argv, const std::optional<Account>& account) {
  if (account) {
    argv.insert(argv.begin(), {kSetpriv, "--reuid=" + std::to_string(account->uid),
                               "--regid=" + std::to_string(account->gid), "--clear-groups", "--"});
  }
  const ProcessResult result = run_process(argv, {"LC_ALL=C"});
  if (result.exit_code != 0) {
    throw std::runtime_error(argv.front() + " failed (exit code " +
                             std::to_string(result.exit_code) + "):\n" + tail(result.out, 20) +
                             tail(result.err, 20));
  }
}

// A copy of a folder with its modes and, when run by root, its owners (cp -a keeps sparse files
// sparse too, as InnoDB's are).
void copy_folder(const fs::path& from, const fs::path& to) {
  const ProcessResult result = run_process({kCp, "-a", from.string(), to.string()});
  if (result.exit_code != 0) {
    throw std::runtime_error("cannot copy " + from.string() + " to " + to.string() + ": " +
                             result.err);
  }
}

// A port on 127.0.0.1 that was free a moment ago: bound with port 0 so the kernel chooses, read,
// and released for the server to take. Another process may take it first; the caller retries.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string error = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1: " + error);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// Starts the server as a child of this process, its output appended to the log. The child takes
// on the server's user itself (rather than through setpriv) so that it can ask, afterwards, to be
// killed when this thread ends: a change of user clears that request. Between fork and exec it
// makes only async-signal-safe calls, as the test process may have other threads.
pid_t spawn_server(const std::vector<std::string>& args, const fs::path& log,
                   const std::optional<Account>& account) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    const std::string error = std::strerror(errno);
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error("cannot open " + log.string() + ": " + error);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    auto fail = [&](const char* what) {
      (void)!::write(log_fd, what, std::strlen(what));
      ::_exit(127);
    };
    // Raw system calls, async-signal-safe whatever the C library's wrappers do (setgroups is not
    // on POSIX's list); they change this thread's credentials, and it is the child's only one.
    if (account && (::syscall(SYS_setgroups, 0, nullptr) != 0 ||
                    ::syscall(SYS_setresgid, account->gid, account->gid, account->gid) != 0 ||
                    ::syscall(SYS_setresuid, account->uid, account->uid, account->uid) != 0)) {
      fail("db_server: cannot switch to the server's user\n");
    }
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("db_server: prctl failed\n");
    if (::getppid() != parent) ::_exit(127);  // the test died before the request took hold
    if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
        ::dup2(log_fd, STDERR_FILENO) < 0) {
      fail("db_server: dup2 failed\n");
    }
    ::close_range(3, ~0U, 0);
    // Signals the test ignores or blocks (Catch2 and Asio set some) would stay so in the server.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &default_action, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    fail("db_server: cannot execute the server\n");
  }
  const int fork_error = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(fork_error));
  return pid;
}

// Waits for the child to exit, within the deadline; false if it has not.
bool wait_for_exit(pid_t pid, std::chrono::milliseconds deadline, int& status) {
  return wait_until(
      [&] {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        return done == pid || (done < 0 && errno == ECHILD);
      },
      deadline, 5ms);
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

// What each server is started with: everything on 127.0.0.1 or in the server's own folder, and
// small and quick rather than durable (a test's data need not survive a crash).
std::vector<std::string> postgres_command(const fs::path& data, const fs::path& run,
                                          std::uint16_t port) {
  std::vector<std::string> args = {postgres_tool("postgres").string(), "-D", data.string()};
  const std::vector<std::string> settings = {
      "listen_addresses=127.0.0.1",
      "port=" + std::to_string(port),
      "unix_socket_directories=" + run.string(),
      "fsync=off",
      "synchronous_commit=off",
      "full_page_writes=off",
      "wal_level=minimal",
      "max_wal_senders=0",
      "min_wal_size=2MB",
      "max_wal_size=64MB",
      "shared_buffers=16MB",
      "max_connections=40",
      "huge_pages=off",
      "jit=off",
      "ssl=off",
      "password_encryption=scram-sha-256",
      "logging_collector=off",
      "log_line_prefix=%m [%p] ",
      "lc_messages=C",
  };
  for (const std::string& setting : settings) args.insert(args.end(), {"-c", setting});
  return args;
}

// The InnoDB files' sizes must be the same for mariadb-install-db and every start; small files
// (and a small growth step) keep the template, which every test copies, small.
std::vector<std::string> mariadb_storage_options() {
  return {"--innodb-data-file-path=ibdata1:4M:autoextend",
          "--innodb-autoextend-increment=1",
          "--innodb-temp-data-file-path=ibtmp1:1M:autoextend",
          "--innodb-log-file-size=4M",
          "--innodb-buffer-pool-size=16M",
          "--innodb-use-native-aio=0",  // io_uring and libaio are often refused in containers
          "--character-set-server=utf8mb4",
          "--collation-server=utf8mb4_unicode_ci"};
}

std::vector<std::string> mariadb_command(const fs::path& data, const fs::path& run,
                                         std::uint16_t port) {
  std::vector<std::string> args = {kMariadbd,
                                   "--no-defaults",  // must come first
                                   "--datadir=" + data.string(),
                                   "--socket=" + (run / "mysqld.sock").string(),
                                   "--pid-file=" + (run / "mysqld.pid").string(),
                                   "--tmpdir=" + run.string(),
                                   "--secure-file-priv=" + run.string(),
                                   "--port=" + std::to_string(port),
                                   "--bind-address=127.0.0.1",
                                   "--skip-name-resolve",
                                   "--skip-log-bin",
                                   "--innodb-flush-log-at-trx-commit=0",
                                   "--innodb-doublewrite=0",
                                   "--innodb-buffer-pool-load-at-startup=0",
                                   "--innodb-buffer-pool-dump-at-shutdown=0",
                                   "--max-connections=40",
                                   "--local-infile=0"};
  const auto storage = mariadb_storage_options();
  args.insert(args.end(), storage.begin(), storage.end());
  return args;
}

// Run once per template, as the superuser, in the order given: PostgreSQL's CREATE DATABASE
// cannot share a transaction, and the grants are made in the new database.
struct SetupStep {
  const char* database;
  std::string sql;
};

std::vector<SetupStep> setup_steps(DbServer::Kind kind) {
  const std::string password = DbServer::kReaderPassword;
  if (kind == DbServer::Kind::kPostgres) {
    return {
        {"template1", "CREATE ROLE ferry_reader LOGIN PASSWORD '" + password +
                          "';\n"
                          "CREATE DATABASE ferry_test ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' "
                          "TEMPLATE template0;\n"},
        {"ferry_test",
         "GRANT CONNECT ON DATABASE ferry_test TO ferry_reader;\n"
         "GRANT USAGE ON SCHEMA public TO ferry_reader;\n"
         "GRANT SELECT ON ALL TABLES IN SCHEMA public TO ferry_reader;\n"
         "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public "
         "GRANT SELECT ON TABLES TO ferry_reader;\n"
         // Every database is some 300 files for each test to copy, and this one has no use.
         "DROP DATABASE postgres;\n"},
    };
  }
  // mariadb-install-db also makes root@127.0.0.1, root@::1 and root@<hostname> (without a
  // password, as root@localhost has): only the socket's root stays, so that nothing logs in over
  // TCP without a password. The reader logs in from 127.0.0.1 over TCP (skip-name-resolve: the
  // client's address is never turned into "localhost"); @localhost is for the socket.
  return {
      {"mysql",
       "DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');\n"
       "DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';\n"
       "FLUSH PRIVILEGES;\n"
       "CREATE DATABASE ferry_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n"
       "CREATE USER 'ferry_reader'@'127.0.0.1' IDENTIFIED BY '" +
           password +
           "';\n"
           "CREATE USER 'ferry_reader'@'localhost' IDENTIFIED BY '" +
           password +
           "';\n"
           "GRANT SELECT, EXECUTE ON ferry_test.* TO 'ferry_reader'@'127.0.0.1', "
           "'ferry_reader'@'localhost';\n"},
  };
}

// PostgreSQL's client authentication: the superuser over the socket without a password (the
// socket is in the server's own folder), everyone else by password over TCP from 127.0.0.1 only.
constexpr const char* kPgHba =
    "# Written by tests/connectors/sql/db_server.cpp.\n"
    "local all all trust\n"
    "host all all 127.0.0.1/32 scram-sha-256\n";

std::vector<std::string> init_command(DbServer::Kind kind, const fs::path& data) {
  if (kind == DbServer::Kind::kPostgres) {
    return {postgres_tool("initdb").string(),
            "--pgdata=" + data.string(),
            "--encoding=UTF8",
            "--locale=C",
            std::string("--username=") + kPostgresSuperuser,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
            "--wal-segsize=1"};  // MB: the template's WAL is copied for every test
  }
  std::vector<std::string> args = {kMariadbInstallDb,
                                   "--no-defaults",
                                   "--datadir=" + data.string(),
                                   "--auth-root-authentication-method=normal",
                                   "--skip-test-db",
                                   "--skip-name-resolve"};
  const auto storage = mariadb_storage_options();
  args.insert(args.end(), storage.begin(), storage.end());
  return args;
}

// FNV-1a: stable across runs and builds, unlike std::hash.
std::string hash_hex(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  std::ostringstream out;
  out << std::hex << hash;
  return out.str();
}

// Everything the template is made of, as text: a change to any of it makes a new template.
std::string template_recipe(DbServer::Kind kind, const std::optional<Account>& account) {
  const bool postgres = kind == DbServer::Kind::kPostgres;
  const fs::path server = postgres ? postgres_tool("postgres") : fs::path(kMariadbd);
  std::ostringstream recipe;
  recipe << "format " << kTemplateFormat << '\n'
         << "server " << server.string() << ' ' << fs::file_size(server) << ' '
         << fs::last_write_time(server).time_since_epoch().count() << '\n'
         << "user " << (account ? account->uid : ::geteuid()) << ':'
         << (account ? account->gid : ::getegid()) << '\n';
  const fs::path data = "DATA";
  const fs::path run = "RUN";
  for (const auto& arg : init_command(kind, data)) recipe << "init " << arg << '\n';
  const auto start = postgres ? postgres_command(data, run, 0) : mariadb_command(data, run, 0);
  for (const auto& arg : start) recipe << "start " << arg << '\n';
  if (postgres) recipe << "pg_hba " << kPgHba;
  for (const auto& step : setup_steps(kind)) recipe << "sql " << step.database << '\n' << step.sql;
  return recipe.str();
}

// The folder of template caches: in the build folder, else (where this user may not write there)
// a folder of this user's own under $TMPDIR.
fs::path cache_folder() {
#ifdef FERRY_DB_TEMPLATE_DIR
  {
    const fs::path dir = FERRY_DB_TEMPLATE_DIR;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!ec && ::access(dir.c_str(), W_OK | X_OK) == 0) return dir;
  }
#endif
  const fs::path dir =
      fs::temp_directory_path() / ("ferry-db-templates-" + std::to_string(::geteuid()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot make " + dir.string() + ": " + std::strerror(errno));
  }
  // In a shared $TMPDIR someone else could have made it first: use it only if it is ours alone.
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid() ||
      (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw std::runtime_error(dir.string() +
                             " is not a folder of this user's own; remove it or set TMPDIR");
  }
  return dir;
}

// An exclusive flock on a file, held while the object lives: one test process builds a template
// while the others wait for it.
class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ < 0) {
      throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const std::string error = std::strerror(errno);
        ::close(fd_);
        throw std::runtime_error("cannot lock " + path.string() + ": " + error);
      }
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// Every folder from "/" down to `folder` lets others through (mode o+x), so user nobody reaches
// the servers' folders; nullopt when so, else the first one that does not.
std::optional<fs::path> closed_to_others(const fs::path& folder) {
  fs::path path;
  for (const auto& part : fs::weakly_canonical(folder)) {
    path /= part;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || (info.st_mode & S_IXOTH) == 0) return path;
  }
  return std::nullopt;
}

std::atomic<unsigned> next_script{0};

}  // namespace

const char* DbServer::name(Kind kind) { return kind == Kind::kPostgres ? "PostgreSQL" : "MariaDB"; }

std::optional<std::string> DbServer::unavailable(Kind kind) {
  if (kind == Kind::kPostgres) {
    if (!postgres_bin()) {
      return std::string("PostgreSQL is not installed (no ") + kPostgresRoot +
             "/<version>/bin/ with postgres, initdb and psql; bash "
             "packaging/install-build-deps.sh installs postgresql)";
    }
  } else {
    for (const char* tool : {kMariadbd, kMariadbInstallDb, kMariadbClient}) {
      if (!executable(tool)) {
        return std::string("MariaDB is not installed (no ") + tool +
               "; bash packaging/install-build-deps.sh installs mariadb-server and "
               "mariadb-client)";
      }
    }
  }
  if (!executable(kCp)) return std::string("no ") + kCp;
  if (::geteuid() == 0) {
    if (::getpwnam("nobody") == nullptr) {
      return std::string("running as root, where ") + name(kind) +
             " must run as another user, and there is no user nobody";
    }
    if (!executable(kSetpriv)) {
      return std::string("running as root, where ") + name(kind) +
             " must run as user nobody, and setpriv (util-linux) is not installed";
    }
    std::error_code ec;
    const fs::path tmp = fs::temp_directory_path(ec);
    if (ec) return "no temporary folder: " + ec.message();
    if (auto closed = closed_to_others(tmp)) {
      return "running as root, where " + std::string(name(kind)) +
             " runs as user nobody in a folder under $TMPDIR (" + tmp.string() + "), and " +
             closed->string() + " does not let others in (mode o+x); set TMPDIR to another folder";
    }
  }
  return std::nullopt;
}

DbServer::DbServer(Kind kind) : kind_(kind) {
  const fs::path source = template_for(kind);
  prepare_folder();
  copy_folder(source, data_);
  start_on_a_free_port();
}

DbServer::DbServer(Kind kind, BuildTemplate) : kind_(kind) {
  const auto account = server_account();
  prepare_folder();
  fs::create_directory(data_);
  fs::permissions(data_, fs::perms::owner_all);
  give_to(data_, account);
  run_as_server_user(init_command(kind, data_), account);
  if (kind == Kind::kPostgres) {
    write_text(data_ / "pg_hba.conf", kPgHba);
    give_to(data_ / "pg_hba.conf", account);
  }
  start_on_a_free_port();
  try {
    for (const auto& step : setup_steps(kind)) admin_sql(step.sql, step.database);
  } catch (...) {
    stop();  // the destructor does not run when the constructor throws
    throw;
  }
}

DbServer::~DbServer() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop() has killed the server if it would not stop.
  }
}

// The server's folder: others may pass through it (not list it) to data/ and run/, which belong
// to the server's user when that is nobody.
void DbServer::prepare_folder() {
  const auto account = server_account();
  data_ = dir_ / "data";
  run_ = dir_ / "run";
  log_ = dir_ / "server.log";
  if (account) {
    fs::permissions(dir_.path(),
                    fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }
  fs::create_directory(run_);
  fs::permissions(run_, fs::perms::owner_all);
  give_to(run_, account);
  write_text(log_, "");
}

namespace {

// Templates of the same kind made from another recipe (an older server binary, other options or
// setup SQL) are not used again: removed, with their locks and any half-made copy, so that the
// cache holds one template per kind instead of some 25 MB more at each change. Only a test of
// another build with another recipe sharing this cache (both falling back to $TMPDIR) could
// still be copying one; each build has a cache of its own otherwise.
void remove_other_templates(const fs::path& cache, const std::string& prefix,
                            const std::string& key) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(cache, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name != key && name != key + ".lock") {
      stale.push_back(entry.path());
    }
  }
  for (const fs::path& path : stale) fs::remove_all(path, ec);
}

}  // namespace

fs::path DbServer::template_cache() { return cache_folder(); }

fs::path DbServer::template_for(Kind kind) {
  const auto account = server_account();
  const fs::path cache = cache_folder();
  const std::string prefix = kind == Kind::kPostgres ? "postgres-" : "mariadb-";
  const std::string key = prefix + hash_hex(template_recipe(kind, account));
  const fs::path target = cache / key;
  FileLock lock(cache / (key + ".lock"));
  remove_other_templates(cache, prefix, key);
  if (fs::is_directory(target)) return target;

  // Made aside and renamed into place, so that a template that exists is complete.
  DbServer builder(kind, BuildTemplate{});
  builder.stop();
  const fs::path partial = cache / (key + ".partial");
  fs::remove_all(partial);
  copy_folder(builder.data_, partial);
  fs::rename(partial, target);
  return target;
}

void DbServer::start_on_a_free_port() {
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (start_on(free_port()) == Start::kReady) return;
  }
  throw std::runtime_error(std::string(name(kind_)) + " found each of " +
                           std::to_string(kPortAttempts) +
                           " free ports taken by the time it started; the end of its log:\n" +
                           tail(log(), kLogTailLines));
}

void DbServer::start() {
  if (pid_ > 0) throw std::logic_error(std::string(name(kind_)) + " is running already");
  if (start_on(port_) == Start::kPortTaken) {
    throw std::runtime_error(
        std::string(name(kind_)) + " cannot listen on port " + std::to_string(port_) +
        " again: another process took it. The end of its log:\n" + tail(log(), kLogTailLines));
  }
}

DbServer::Start DbServer::start_on(std::uint16_t port) {
  port_ = port;
  const std::uintmax_t log_start = fs::file_size(log_);
  const auto command = kind_ == Kind::kPostgres ? postgres_command(data_, run_, port)
                                                : mariadb_command(data_, run_, port);
  pid_ = spawn_server(command, log_, server_account());
  try {
    int status = 0;
    bool exited = false;
    const bool ready = wait_until(
        [&] {
          const pid_t done = ::waitpid(pid_, &status, WNOHANG);
          exited = done == pid_;
          // Both servers listen on TCP before they make their Unix socket, and exit when they
          // cannot, so once the socket exists and the client's SELECT 1 through it is answered
          // (PostgreSQL refuses sessions while "starting up"), TCP is ready too. No TCP probe:
          // MariaDB would log each one as an aborted connection.
          return exited || (fs::exists(socket_path()) && answers());
        },
        kStartDeadline, 10ms);
    if (exited) {
      pid_ = -1;
      const std::string output = log_since(log_start);
      if (output.find("Address already in use") != std::string::npos) return Start::kPortTaken;
      throw std::runtime_error(std::string(name(kind_)) + " " + describe(status) +
                               " before accepting connections; the end of its log:\n" +
                               tail(output, kLogTailLines));
    }
    if (!ready) {
      throw std::runtime_error(std::string(name(kind_)) + " did not accept connections within " +
                               std::to_string(kStartDeadline.count()) +
                               " s; the end of its log:\n" +
                               tail(log_since(log_start), kLogTailLines));
    }
    return Start::kReady;
  } catch (...) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    throw;
  }
}

void DbServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, kind_ == Kind::kPostgres ? SIGINT : SIGTERM);
  int status = 0;
  if (!wait_for_exit(pid_, kStopDeadline, status)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

bool DbServer::answers() const {
  return run_admin("SELECT 1", kind_ == Kind::kPostgres ? "template1" : "mysql").exit_code == 0;
}

ProcessResult DbServer::run_admin(const std::string& sql, const std::string& database) const {
  if (kind_ == Kind::kMariadb) {
    std::vector<std::string> argv = {kMariadbClient,         "--no-defaults",
                                     "--protocol=socket",    "--socket=" + socket_path().string(),
                                     "--user=root",          "--default-character-set=utf8mb4",
                                     "--connect-timeout=10", "--batch",
                                     "--skip-column-names",  "--raw"};
    if (!database.empty()) argv.push_back("--database=" + database);
    argv.push_back("--execute=" + sql);
    return run_process(argv);
  }
  // psql runs a file statement by statement (with -c, several statements would share one
  // transaction, which CREATE DATABASE refuses) and prints every result.
  const fs::path script = dir_ / ("admin-" + std::to_string(next_script++) + ".sql");
  write_text(script, sql);
  auto result = run_process(
      {postgres_tool("psql").string(), "--no-psqlrc", "--quiet", "--no-align", "--tuples-only",
       "--field-separator=\t", "--pset=null=NULL", "--set=ON_ERROR_STOP=1", "--no-password",
       "--host=" + run_.string(), "--port=" + std::to_string(port_),
       std::string("--username=") + kPostgresSuperuser, "--dbname=" + database,
       "--file=" + script.string()},
      {"PGCLIENTENCODING=UTF8", "PGCONNECT_TIMEOUT=10"});
  std::error_code ignored;
  fs::remove(script, ignored);
  return result;
}

std::string DbServer::admin_sql(const std::string& sql, const std::string& database) const {
  auto result = run_admin(sql, database);
  if (result.exit_code != 0) {
    throw std::runtime_error(std::string(name(kind_)) + " refused the administrator's SQL (exit " +
                             std::to_string(result.exit_code) + "): " + result.err +
                             "\nThe SQL: " + sql);
  }
  return chomp(result.out);
}

ProcessResult DbServer::reader_sql(const std::string& sql, const std::string& password) const {
  if (kind_ == Kind::kMariadb) {
    return run_process({kMariadbClient, "--no-defaults", "--protocol=tcp", "--host=127.0.0.1",
                        "--port=" + std::to_string(port_), std::string("--user=") + kReader,
                        "--password=" + password, "--default-character-set=utf8mb4",
                        "--connect-timeout=10", "--batch", "--skip-column-names", "--raw",
                        std::string("--database=") + kDatabase, "--execute=" + sql});
  }
  return run_process(
      {postgres_tool("psql").string(), "--no-psqlrc", "--quiet", "--no-align", "--tuples-only",
       "--field-separator=\t", "--pset=null=NULL", "--set=ON_ERROR_STOP=1", "--no-password",
       "--host=127.0.0.1", "--port=" + std::to_string(port_), std::string("--username=") + kReader,
       std::string("--dbname=") + kDatabase, "--command=" + sql},
      {"PGPASSWORD=" + password, "PGPASSFILE=/dev/null", "PGCLIENTENCODING=UTF8",
       "PGCONNECT_TIMEOUT=10"});
}

void DbServer::kill_connections() {
  const bool postgres = kind_ == Kind::kPostgres;
  // Client sessions other than the one asking; MariaDB lists its own threads as Daemon.
  const std::string others =
      postgres ? "FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> "
                 "pg_backend_pid()"
               : "FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND command <> "
                 "'Daemon'";
  const std::string database = postgres ? kDatabase : "";
  if (postgres) {
    // pg_terminate_backend with a timeout waits (up to 10 s) for each session to end.
    admin_sql("SELECT count(pg_terminate_backend(pid, 10000)) " + others, database);
  } else {
    std::istringstream ids(admin_sql("SELECT id " + others, database));
    for (std::string id; std::getline(ids, id);) {
      if (id.empty()) continue;
      const auto result = run_admin("KILL CONNECTION " + id, database);
      // A session may end by itself between the listing and the KILL.
      if (result.exit_code != 0 && result.err.find("Unknown thread id") == std::string::npos) {
        throw std::runtime_error("MariaDB refused KILL CONNECTION " + id + ": " + result.err);
      }
    }
  }
  if (!wait_until([&] { return admin_sql("SELECT count(*) " + others, database) == "0"; },
                  kSessionsGoneDeadline, 20ms)) {
    throw std::runtime_error(std::string(name(kind_)) + " sessions still open " +
                             std::to_string(kSessionsGoneDeadline.count()) +
                             " s after they were killed");
  }
}

std::string DbServer::connection_string() const {
  return std::string("Driver=") +
         (kind_ == Kind::kPostgres ? "PostgreSQL Unicode" : "MariaDB Unicode") +
         ";Server=127.0.0.1;Port=" + std::to_string(port_) + ";Database=" + kDatabase +
         ";Uid=" + kReader;
}

std::string DbServer::log() const { return read_file(log_); }

fs::path DbServer::socket_path() const {
  return kind_ == Kind::kPostgres ? run_ / (".s.PGSQL." + std::to_string(port_))
                                  : run_ / "mysqld.sock";
}

std::string DbServer::log_since(std::uintmax_t offset) const {
  const std::string text = log();
  return offset < text.size() ? text.substr(offset) : std::string();
}

}  // namespace ferry::test
