// The agent's metrics in the Prometheus text exposition format 0.0.4 (docs/metrics.md lists every
// family). Rendered from the same inputs as `ferry status`, so both always agree.
//
// Names start with ferry_, values are in base units (seconds, bytes), counters end in _total.
// Labels carry config names only (source names and types, the agent and tenant ids), never a row
// value or a secret.
#pragma once

#include <string>
#include <string_view>

#include "agent/control/status.hpp"

namespace ferry::metrics {

// The body of GET /metrics. `inputs.settings` must be set.
std::string render_metrics(const control::StatusInputs& inputs);

// A label value as the text format wants it between quotes: backslash, double quote and newline
// escaped.
std::string escape_label_value(std::string_view value);

}  // namespace ferry::metrics
