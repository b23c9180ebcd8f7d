// The configuration an uplink test loads: a valid agent, then uplink keys from line 4.
#pragma once

#include <string>
#include <string_view>

namespace ferry::config::test::uplink_yaml {

constexpr std::string_view kKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// Lines 1-3 are fixed; `rest` starts on line 4, indented under uplink.
inline std::string uplink(std::string_view rest) {
  return "agent: {id: a, tenant: t, data_dir: /d}\nuplink:\n  url: wss://ingest.example.org/v1\n" +
         std::string(rest);
}

}  // namespace ferry::config::test::uplink_yaml
