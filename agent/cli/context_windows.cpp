// The parts of context.hpp that differ between systems: Windows, where no root runs commands on
// a service account's files (the service and its account come with docs/windows.md's next step).
#include "agent/cli/context.hpp"

#include <fmt/format.h>

#include "common/config/env_expand.hpp"
#include "common/error/path_text.hpp"

namespace ferry::cli {

std::filesystem::path default_config_path() {
  // The folder for every user's program data, C:\ProgramData unless moved.
  auto data = config::process_env("ProgramData");
  std::filesystem::path folder =
      data && !data->empty() ? std::filesystem::path(std::u8string(data->begin(), data->end()))
                             : std::filesystem::path(L"C:\\ProgramData");
  return folder / L"Ferry" / L"ferry.yaml";
}

bool writes_as_data_dir_owner(const config::Settings&, Io&, std::string_view) { return true; }

std::optional<env::UserId> foreign_data_dir_owner(const config::Settings&) { return std::nullopt; }

Result<void> give_to_data_dir_owner(const config::Settings&, const std::filesystem::path&) {
  return {};
}

std::string this_account_name() { return env::user_name(env::current_user()); }

std::string how_to_start_agent(const std::filesystem::path& config) {
  return fmt::format(
      "start the service with 'ferry service start' (as administrator), or run 'ferry run -c {}' "
      "in a console",
      path_text(config));
}

}  // namespace ferry::cli
