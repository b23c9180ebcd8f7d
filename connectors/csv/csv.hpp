// The generic CSV connector (type: csv): one stream per configured file or file pattern in a
// folder, read from a local path or fetched over SFTP. See docs/connectors/csv.md.
#pragma once

#include <memory>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::connectors::csv {

config::SourceTypeSpec spec();
Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context);

}  // namespace ferry::connectors::csv
