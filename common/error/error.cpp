#include "common/error/error.hpp"

namespace ferry {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kPermission:
      return "permission";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kCorrupt:
      return "corrupt";
    case ErrorCode::kCrypto:
      return "crypto";
    case ErrorCode::kConfig:
      return "config";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kAuth:
      return "auth";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kFull:
      return "full";
    case ErrorCode::kDiskFull:
      return "disk_full";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace ferry
