#include "common/config/overlay.hpp"

#include <algorithm>

namespace ferry::config {

std::vector<StreamSettings> overlay_streams(std::vector<StreamSettings> streams,
                                            const std::vector<StreamSettings>& configured) {
  for (const StreamSettings& written : configured) {
    auto same = std::find_if(streams.begin(), streams.end(),
                             [&](const StreamSettings& s) { return s.name == written.name; });
    if (same == streams.end()) {
      streams.push_back(written);
      continue;
    }
    if (!written.extends_preset) {
      *same = written;
      continue;
    }
    for (const FieldPolicy& field : written.fields) {
      auto listed = std::find_if(same->fields.begin(), same->fields.end(),
                                 [&](const FieldPolicy& f) { return f.name == field.name; });
      if (listed != same->fields.end()) {
        *listed = field;
      } else {
        same->fields.push_back(field);
      }
    }
    if (!written.key.empty()) {
      same->key = written.key;
      same->more_keys = written.more_keys;
    }
    if (written.default_given) same->default_transform = written.default_transform;
    same->at = written.at;
    for (const auto& [name, value] : written.options) same->options[name] = value;
  }
  return streams;
}

}  // namespace ferry::config
