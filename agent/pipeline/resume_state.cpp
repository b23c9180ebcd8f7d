#include "agent/pipeline/resume_state.hpp"

#include <boost/json.hpp>

namespace ferry::pipeline {
namespace {

constexpr std::string_view kFormat = "ferry-resume-1";

}  // namespace

connectors::ResumeState decode_resume_state(const std::optional<std::string>& stored) {
  connectors::ResumeState state;
  if (!stored) return state;
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(*stored, ec);
  const auto* object = ec ? nullptr : value.if_object();
  const auto* format = object ? object->if_contains("format") : nullptr;
  if (format == nullptr || !format->is_string() || format->get_string() != kFormat) {
    state.source = *stored;  // one state per source, as earlier versions kept it
    return state;
  }
  if (const auto* source = object->if_contains("source"); source && source->is_string()) {
    state.source = std::string(source->get_string());
  }
  if (const auto* streams = object->if_contains("streams"); streams && streams->is_object()) {
    for (const auto& [name, text] : streams->get_object()) {
      if (text.is_string()) state.streams.emplace(std::string(name), text.get_string());
    }
  }
  return state;
}

std::string encode_resume_state(const connectors::ResumeState& state) {
  boost::json::object streams;
  for (const auto& [name, text] : state.streams) {
    if (!text.empty()) streams[name] = text;
  }
  boost::json::object root;
  root["format"] = kFormat;
  root["source"] = state.source;
  root["streams"] = std::move(streams);
  return boost::json::serialize(root);
}

}  // namespace ferry::pipeline
