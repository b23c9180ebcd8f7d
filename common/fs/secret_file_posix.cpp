#include "common/fs/secret_file_posix.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs/read_descriptor.hpp"

namespace ferry::fs {
namespace {

std::string user_name(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return "";
}

// Whether this process is in group `gid` (its effective group or a supplementary one).
bool in_own_groups(gid_t gid) {
  if (::getegid() == gid) return true;
  const int count = ::getgroups(0, nullptr);
  if (count <= 0) return false;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  const int got = ::getgroups(count, groups.data());
  return got > 0 && std::find(groups.begin(), groups.begin() + got, gid) != groups.begin() + got;
}

// Root keeps the file and lets the agent's group read it; nobody else may read, and only root may
// write. The agent's group: one of this process's groups; for root (`sudo ferry check`), the group
// of `service_dir` (the data_dir, the service account's).
bool shared_by_root(uid_t euid, const struct stat& info, SecretSharing sharing,
                    const std::filesystem::path& service_dir) {
  const mode_t mode = info.st_mode & 07777;
  if (sharing != SecretSharing::kRootToOwnGroup || info.st_uid != 0 || (mode & 040) == 0 ||
      (mode & 027) != 0) {
    return false;
  }
  if (euid != 0) return in_own_groups(info.st_gid);
  struct stat service {};
  return !service_dir.empty() && ::stat(service_dir.c_str(), &service) == 0 &&
         service.st_uid != 0 && service.st_gid == info.st_gid;
}

Result<void> check_open_file(uid_t euid, int fd, const std::filesystem::path& path,
                             const std::filesystem::path& service_dir, SecretSharing sharing) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return make_error(ErrorCode::kIo, "cannot read {}: {}", path.string(), std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return make_error(ErrorCode::kPermission, "{} is not a regular file", path.string());
  }
  const mode_t mode = info.st_mode & 07777;
  const bool shared = shared_by_root(euid, info, sharing, service_dir);
  if ((mode & 077) != 0 && !shared) {
    const char* what = (mode & 044) != 0   ? "readable by others"
                       : (mode & 022) != 0 ? "writable by others"
                                           : "accessible by others";
    const std::string or_share =
        sharing == SecretSharing::kRootToOwnGroup
            ? std::string(
                  " (or, to keep it root's: chown root:GROUP and chmod 640, GROUP being the "
                  "agent's group, as the package's /etc/ferry/token is root:ferry)")
            : std::string();
    return make_error(ErrorCode::kPermission, "{} is {} (mode {:04o}): run chmod 600 {}{}",
                      path.string(), what, mode, path.string(), or_share);
  }
  std::vector<uid_t> trusted{euid};
  if (shared) trusted.push_back(0);
  struct stat service {};
  if (euid == 0 && !service_dir.empty() && ::stat(service_dir.c_str(), &service) == 0) {
    trusted.push_back(service.st_uid);
  }
  if (std::find(trusted.begin(), trusted.end(), info.st_uid) == trusted.end()) {
    const std::string who = trusted.size() == 2 && trusted[1] != euid
                                ? fmt::format("to root or to {}, who owns {}",
                                              describe_user(trusted[1]), service_dir.string())
                                : fmt::format("to {}, who runs this command", describe_user(euid));
    return make_error(ErrorCode::kPermission,
                      "{} belongs to {}, not {}: a file another account controls is not trusted "
                      "with a secret; run chown {} {}",
                      path.string(), describe_user(info.st_uid), who, account_name(trusted.back()),
                      path.string());
  }
  // Whoever may write the folder may replace the file between two runs.
  const std::filesystem::path folder =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  struct stat parent {};
  if (::stat(folder.c_str(), &parent) == 0 && (parent.st_mode & S_IWOTH) != 0 &&
      (parent.st_mode & S_ISVTX) == 0) {
    return make_error(ErrorCode::kPermission,
                      "{} is in {}, a folder anyone may write to, so anyone could replace it: "
                      "move it to a folder only its owner can write (such as the data_dir)",
                      path.string(), folder.string());
  }
  return {};
}

}  // namespace

std::string account_name(uid_t uid) {
  const std::string name = user_name(uid);
  return name.empty() ? std::to_string(uid) : name;
}

std::string describe_user(uid_t uid) {
  const std::string name = user_name(uid);
  return name.empty() ? fmt::format("uid {}", uid) : fmt::format("{} (uid {})", name, uid);
}

Result<std::string> read_secret_file_as(uid_t euid, const std::filesystem::path& path,
                                        std::size_t max_size,
                                        const std::filesystem::path& service_dir,
                                        SecretSharing sharing) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    if (error == ELOOP) {
      return make_error(ErrorCode::kPermission,
                        "{} is a symbolic link: point the setting at the file itself (whoever can "
                        "change the link could make Ferry read another file)",
                        path.string());
    }
    return make_error(error == ENOENT   ? ErrorCode::kNotFound
                      : error == EACCES ? ErrorCode::kPermission
                                        : ErrorCode::kIo,
                      "cannot read {}: {}", path.string(), std::strerror(error));
  }
  auto checked = check_open_file(euid, fd, path, service_dir, sharing);
  Result<std::string> content =
      checked ? read_descriptor(fd, path, max_size) : tl::unexpected(checked.error());
  ::close(fd);
  return content;
}

Result<std::string> read_secret_file(const std::filesystem::path& path, std::size_t max_size,
                                     const std::filesystem::path& service_dir,
                                     SecretSharing sharing) {
  return read_secret_file_as(::geteuid(), path, max_size, service_dir, sharing);
}

Result<void> check_private_folder(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    return make_error(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      "cannot look at {}: {}", path.string(), std::strerror(error));
  }
  if (!S_ISDIR(info.st_mode)) {
    return make_error(ErrorCode::kPermission, "{} is not a folder", path.string());
  }
  const mode_t others = info.st_mode & 077;
  if (others == 0) return {};
  return make_error(ErrorCode::kPermission,
                    "{} is {} by its group or others (mode {:04o}): run chmod 700 {}",
                    path.string(), (others & 022) != 0 ? "writable" : "readable",
                    info.st_mode & 07777, path.string());
}

}  // namespace ferry::fs
