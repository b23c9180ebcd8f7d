// What the OneRoster connectors share: the built-in `preset: oneroster` field policy, one stream
// per OneRoster file (CSV binding) or collection (REST binding), with the CSV binding's column
// names. The REST connector flattens its JSON into those columns
// (docs/connectors/oneroster_rest.md), so both give the same tokens and the same rows.
#pragma once

#include <vector>

#include "common/config/settings.hpp"

namespace ferry::connectors::oneroster {

std::vector<config::StreamSettings> preset_streams();

}  // namespace ferry::connectors::oneroster
