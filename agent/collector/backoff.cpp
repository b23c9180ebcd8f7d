#include "agent/collector/backoff.hpp"

#include <algorithm>

namespace ferry::collector {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct Rule {
  seconds first;
  seconds cap;
  bool within_schedule;
};

Rule rule_of(FailureClass failure) {
  switch (failure) {
    case FailureClass::kUnavailable:
      return {seconds(30), minutes(30), false};
    case FailureClass::kRateLimited:
    case FailureClass::kInternal:
      return {minutes(1), hours(1), false};
    case FailureClass::kAuth:
    case FailureClass::kBadData:
    case FailureClass::kConfig:
    case FailureClass::kNone:
      break;
  }
  return {minutes(5), hours(6), true};
}

}  // namespace

std::string_view to_string(FailureClass failure) {
  switch (failure) {
    case FailureClass::kNone:
      return "";
    case FailureClass::kUnavailable:
      return "unavailable";
    case FailureClass::kRateLimited:
      return "rate_limited";
    case FailureClass::kAuth:
      return "auth";
    case FailureClass::kBadData:
      return "bad_data";
    case FailureClass::kConfig:
      return "config";
    case FailureClass::kInternal:
      return "internal";
  }
  return "internal";
}

FailureClass classify(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kIo:
    case ErrorCode::kFull:
    case ErrorCode::kDiskFull:
      return FailureClass::kUnavailable;
    case ErrorCode::kRateLimited:
      return FailureClass::kRateLimited;
    case ErrorCode::kAuth:
    case ErrorCode::kPermission:
      return FailureClass::kAuth;
    case ErrorCode::kCorrupt:
    case ErrorCode::kNotFound:
      return FailureClass::kBadData;
    case ErrorCode::kConfig:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kAlreadyExists:
      return FailureClass::kConfig;
    case ErrorCode::kCrypto:
    case ErrorCode::kConflict:
    case ErrorCode::kInternal:
      return FailureClass::kInternal;
  }
  return FailureClass::kInternal;
}

WallTime retry_at(FailureClass failure, std::uint32_t failures, WallTime ended,
                  WallTime scheduled) {
  const Rule rule = rule_of(failure);
  seconds delay = rule.first;
  for (std::uint32_t i = 1; i < failures && delay < rule.cap; ++i) delay *= 2;
  delay = std::min(delay, rule.cap);
  const WallTime retry = ended + delay;
  return rule.within_schedule ? std::min(retry, scheduled) : retry;
}

}  // namespace ferry::collector
