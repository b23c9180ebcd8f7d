// The smallest valid configuration: one oneroster_csv source reading `export_dir`, the uplink off,
// everything in `data_dir`. `agent_extra` is inserted under `agent:` (lines indented by two).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace ferry::test {

inline std::string minimal_config(const std::filesystem::path& data_dir,
                                  const std::filesystem::path& export_dir,
                                  std::string_view agent_extra = "") {
  return fmt::format(R"(agent:
  id: school-042
  tenant: district-7
  data_dir: {}
{}uplink:
  enabled: false
  tenant_public_key: "ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE="
sources:
  - name: sis
    type: oneroster_csv
    path: {}
)",
                     data_dir.string(), agent_extra, export_dir.string());
}

}  // namespace ferry::test
