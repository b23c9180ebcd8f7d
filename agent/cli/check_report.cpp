#include "agent/cli/check_report.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ferry::cli {
namespace {

// The word that starts a line ("OK") and the same in JSON ("ok").
std::string_view word(CheckOutcome outcome, bool json = false) {
  switch (outcome) {
    case CheckOutcome::kOk:
      return json ? "ok" : "OK";
    case CheckOutcome::kWarn:
      return json ? "warn" : "WARN";
    case CheckOutcome::kFail:
      return json ? "fail" : "FAIL";
    case CheckOutcome::kSkip:
      return json ? "skip" : "SKIP";
  }
  return "?";
}

}  // namespace

void CheckReport::ok(std::string_view name, std::string message) {
  add(CheckOutcome::kOk, name, std::move(message));
}

void CheckReport::warn(std::string_view name, std::string message) {
  add(CheckOutcome::kWarn, name, std::move(message));
}

void CheckReport::fail(std::string_view name, std::string message) {
  add(CheckOutcome::kFail, name, std::move(message));
}

void CheckReport::skip(std::string_view name, std::string message) {
  add(CheckOutcome::kSkip, name, std::move(message));
}

void CheckReport::add(CheckOutcome outcome, std::string_view name, std::string message) {
  if (outcome == CheckOutcome::kFail) ++failures_;
  if (outcome == CheckOutcome::kWarn) ++warnings_;
  if (style_ == Style::kText) {
    out_ << fmt::format("{:<5} {}: {}\n", word(outcome), name, message) << std::flush;
    return;
  }
  lines_.push_back({outcome, std::string(name), std::move(message)});
}

void CheckReport::finish() {
  if (style_ != Style::kJson) return;
  boost::json::array checks;
  for (const auto& line : lines_) {
    checks.push_back(boost::json::object{
        {"check", line.name}, {"result", word(line.outcome, true)}, {"message", line.message}});
  }
  boost::json::object report{
      {"ok", !failed()}, {"warnings", warnings_}, {"checks", std::move(checks)}};
  out_ << boost::json::serialize(report) << '\n';
}

}  // namespace ferry::cli
