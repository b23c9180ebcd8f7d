#include "agent/app/log_options.hpp"

namespace ferry::app {

log::LogOptions log_options(const config::Settings& settings) {
  log::LogOptions options;
  options.level = settings.agent.log.level;
  options.file = settings.agent.log.file;
  options.default_file = settings.agent.data_dir / kDefaultLogFolder / "ferry.log";
  options.max_size = settings.agent.log.max_size;
  options.max_files = settings.agent.log.max_files;
  options.max_age = settings.agent.log.max_age;
  return options;
}

}  // namespace ferry::app
