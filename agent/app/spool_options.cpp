#include "agent/app/spool_options.hpp"

namespace ferry::app {

spool::Options spool_options(const config::Settings& settings) {
  spool::Options options;
  options.path = settings.agent.data_dir / "spool.db";
  options.agent_id = settings.agent.id;
  options.tenant_id = settings.agent.tenant;
  options.tenant_public_key = settings.uplink.tenant_public_key;
  options.tenant_next_public_key = settings.uplink.tenant_next_public_key;
  options.max_bytes = settings.spool.max_bytes;
  options.when_full = settings.spool.when_full;
  return options;
}

}  // namespace ferry::app
