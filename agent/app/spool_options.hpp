// The spool's options as the configuration gives them.
#pragma once

#include "agent/spool/spool.hpp"
#include "common/config/settings.hpp"

namespace ferry::app {

spool::Options spool_options(const config::Settings& settings);

}  // namespace ferry::app
