// The Ed-Fi connector (type: edfi): resources of an Ed-Fi ODS/API 5.x to 7.x read over HTTPS,
// with change queries. See docs/connectors/edfi.md.
#pragma once

#include <memory>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::connectors::edfi {

config::SourceTypeSpec spec();
Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context);

}  // namespace ferry::connectors::edfi
