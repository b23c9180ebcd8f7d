#include "agent/pipeline/stream_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace ferry::pipeline {

Result<std::optional<policy::CompiledPolicy>> compile_stream_policy(
    const std::vector<config::StreamSettings>& streams, const connectors::StreamInfo& info,
    policy::TokenFactory& tokens, const policy::Suppression* suppression,
    policy::TokenFactory* previous, policy::TokenMaps* maps) {
  const auto configured = std::find_if(streams.begin(), streams.end(),
                                       [&](const auto& s) { return s.name == info.name; });
  if (configured == streams.end()) return std::optional<policy::CompiledPolicy>();
  std::vector<std::string> key = config::key_columns(*configured);
  if (key.empty() && !info.key.empty()) key.push_back(info.key);
  if (key.empty()) {
    return make_error(ErrorCode::kConfig,
                      "no key column; set streams.{}.key so that changes and deletes can be told "
                      "apart",
                      info.name);
  }
  auto compiled = policy::CompiledPolicy::compile(*configured, info.columns, tokens, key,
                                                  suppression, previous, maps);
  if (!compiled) return tl::unexpected(std::move(compiled.error()));
  return std::optional<policy::CompiledPolicy>(std::move(*compiled));
}

}  // namespace ferry::pipeline
