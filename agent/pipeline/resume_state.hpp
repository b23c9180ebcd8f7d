// How a source's resume state (connectors::ResumeState) is kept in the spool: one text per source,
// written in the same transaction as the rows that consumed it.
//
//   {"format":"ferry-resume-1","source":"<source-wide state>","streams":{"users":"<state>"}}
//
// A stored text in any other form was written by a version that kept one state per source: it is
// read as the source-wide state, with no stream state, which every connector understands.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "connectors/api/source.hpp"

namespace ferry::pipeline {

connectors::ResumeState decode_resume_state(const std::optional<std::string>& stored);

// The same state always gives the same text (streams in name order); streams with "" are left out.
std::string encode_resume_state(const connectors::ResumeState& state);

}  // namespace ferry::pipeline
