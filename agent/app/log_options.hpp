// The log's options as the configuration gives them (agent.log).
#pragma once

#include "common/config/settings.hpp"
#include "common/log/log.hpp"

namespace ferry::app {

log::LogOptions log_options(const config::Settings& settings);

}  // namespace ferry::app
