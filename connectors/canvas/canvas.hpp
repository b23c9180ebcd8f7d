// The Canvas connector (type: canvas): a Canvas LMS account's users, courses, sections,
// enrollments, assignments and submissions, read over HTTPS. See docs/connectors/canvas.md.
#pragma once

#include <memory>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::connectors::canvas {

config::SourceTypeSpec spec();
Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context);

}  // namespace ferry::connectors::canvas
