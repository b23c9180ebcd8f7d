// The OneRoster REST connector (type: oneroster_rest): OneRoster 1.1 and 1.2 rostering services
// read over HTTPS. See docs/connectors/oneroster_rest.md.
#pragma once

#include <memory>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::connectors::oneroster_rest {

config::SourceTypeSpec spec();
Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context);

}  // namespace ferry::connectors::oneroster_rest
