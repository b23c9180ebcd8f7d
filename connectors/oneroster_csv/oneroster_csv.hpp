// The OneRoster CSV connector (type: oneroster_csv). See docs/connectors/oneroster_csv.md.
#pragma once

#include <memory>
#include <vector>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"
#include "connectors/oneroster/preset.hpp"

namespace ferry::connectors::oneroster_csv {

config::SourceTypeSpec spec();
Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context);

// The built-in `preset: oneroster` field policy, one stream per OneRoster file (shared with the
// REST connector).
using oneroster::preset_streams;

}  // namespace ferry::connectors::oneroster_csv
