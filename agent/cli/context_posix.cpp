// The parts of context.hpp that differ between systems: POSIX (root, uids, chown).
#include "agent/cli/context.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs/secret_file_posix.hpp"

namespace ferry::cli {

std::filesystem::path default_config_path() { return "/etc/ferry/ferry.yaml"; }

std::optional<uid_t> foreign_data_dir_owner(const config::Settings& settings) {
  if (::geteuid() != 0) return std::nullopt;
  struct stat info {};
  if (::stat(settings.agent.data_dir.c_str(), &info) != 0 || info.st_uid == 0) return std::nullopt;
  return info.st_uid;
}

bool writes_as_data_dir_owner(const config::Settings& settings, Io& io, std::string_view command) {
  const auto uid = foreign_data_dir_owner(settings);
  if (!uid) return true;
  fail(io, kExitFailure,
       fmt::format("{} belongs to {}, the account the agent runs as: run as root, 'ferry {}' "
                   "would leave files there that the agent cannot read; run it as that account: "
                   "sudo -u {} ferry {} -c {} (with the same options)",
                   settings.agent.data_dir.string(), fs::describe_user(*uid), command,
                   fs::account_name(*uid), command, settings.file.string()));
  return false;
}

Result<void> give_to_data_dir_owner(const config::Settings& settings,
                                    const std::filesystem::path& path) {
  struct stat dir {};
  if (foreign_data_dir_owner(settings) && ::stat(settings.agent.data_dir.c_str(), &dir) == 0 &&
      ::lchown(path.c_str(), dir.st_uid, dir.st_gid) != 0) {
    return make_error(ErrorCode::kIo, "cannot give {} to the data_dir's owner", path.string());
  }
  return {};
}

std::string this_account_name() { return env::user_name(::geteuid()); }

std::string how_to_start_agent(const std::filesystem::path& config) {
  return fmt::format("start it with 'systemctl start ferry' or 'ferry run -c {}'", config.string());
}

}  // namespace ferry::cli
