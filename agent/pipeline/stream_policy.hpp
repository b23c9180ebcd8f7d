// How a stream the connector opens is matched to its field policy, the same for `ferry sync`,
// `ferry run` and `ferry preview` (so that preview shows exactly what would be sent): the stream's
// policy from the configuration or the preset, its key column (the configured one, else the
// connector's), and the policy compiled against the columns the source really has.
#pragma once

#include <optional>
#include <vector>

#include "agent/policy/compiled_policy.hpp"
#include "agent/policy/suppression.hpp"
#include "agent/policy/token_factory.hpp"
#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "connectors/api/source.hpp"

namespace ferry::pipeline {

// nullopt when no policy names the stream (nothing of it is sent); kConfig when the stream has no
// key column or its policy does not compile against the columns (the stream fails).
Result<std::optional<policy::CompiledPolicy>> compile_stream_policy(
    const std::vector<config::StreamSettings>& streams, const connectors::StreamInfo& info,
    policy::TokenFactory& tokens, const policy::Suppression* suppression,
    policy::TokenFactory* previous = nullptr, policy::TokenMaps* maps = nullptr);

}  // namespace ferry::pipeline
