#include "common/config/decode.hpp"
#include "common/config/size.hpp"

namespace ferry::config::detail {

Settings decode_settings(Context& ctx, const YAML::Node& root) {
  Settings settings;
  settings.file = ctx.file();
  MapReader map(ctx, root, location_of(root), "", Naming::kSection);
  map.check_keys({"agent", "uplink", "spool", "sources"});

  if (const Entry* agent = map.require("agent", " (with id, tenant and data_dir)")) {
    settings.agent = decode_agent(ctx, *agent);
  }
  if (const Entry* uplink = map.find("uplink")) {
    settings.uplink = decode_uplink(ctx, *uplink, settings.agent.data_dir);
  } else {
    ctx.error(map.at(),
              "missing required key 'uplink' at the top level (add the uplink section, or "
              "uplink: {{enabled: false}} for an agent that only spools)");
  }
  if (const Entry* spool = map.find("spool")) {
    settings.spool = decode_spool(ctx, *spool);
    if (settings.spool.max_bytes < settings.uplink.batch.max_bytes) {
      Location at = spool->value_at();
      if (spool->value.IsMap()) {
        const YAML::Node& spool_map = spool->value;
        if (const YAML::Node max_bytes = spool_map["max_bytes"]) at = location_of(max_bytes);
      }
      ctx.error(at,
                "spool.max_bytes ({}) is smaller than uplink.batch.max_bytes ({}): a batch would "
                "never fit; raise spool.max_bytes",
                format_size(settings.spool.max_bytes),
                format_size(settings.uplink.batch.max_bytes));
    }
  }
  if (const Entry* sources = map.find("sources")) {
    settings.sources = decode_sources(ctx, *sources, settings.agent.data_dir);
  }
  return settings;
}

}  // namespace ferry::config::detail
