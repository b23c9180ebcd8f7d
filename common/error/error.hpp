// Errors as values. Everything that can fail for a reason outside the program (files, network,
// data, configuration, the crypto library) returns Result<T>; exceptions stay at library edges
// (yaml-cpp, Boost.JSON) and are caught where they are thrown.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <tl/expected.hpp>

namespace ferry {

enum class ErrorCode {
  kInvalidArgument,  // the caller passed something malformed (a bad token, a bad option)
  kNotFound,         // a file, key version or item that should exist does not
  kAlreadyExists,    // refusing to overwrite
  kPermission,       // a file mode or an OS permission is wrong
  kIo,               // reading or writing failed
  kCorrupt,          // data is present but does not parse or authenticate
  kCrypto,           // the crypto library refused an operation
  kConfig,           // the configuration is not valid
  kUnavailable,      // a peer or resource is not reachable now; retrying may help
  kAuth,             // a peer refused our credentials (a password, token or key): fix them
  kRateLimited,      // a peer asked us to slow down; retry later, not sooner
  kFull,             // a bounded store (the spool) has no room; retry once it drains
  kDiskFull,         // the disk under a file being written has no space; retry once it has
  kConflict,         // what the work was based on changed meanwhile (an erasure); redo it
  kInternal,         // a bug of ours reported as a value instead of a crash
};

// A short, stable name for logs and JSON: "io", "corrupt", ...
std::string_view to_string(ErrorCode code);

// One failure: a code for programs and one line of text for people. The message says what failed,
// where, and the fix when one is known; it never carries row values or secrets.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

template <class... Args>
[[nodiscard]] tl::unexpected<Error> make_error(ErrorCode code, fmt::format_string<Args...> format,
                                               Args&&... args) {
  return tl::unexpected<Error>(Error{code, fmt::format(format, std::forward<Args>(args)...)});
}

// Prefixes context to an error as it travels up: "keyring.json: " + "not valid JSON".
[[nodiscard]] inline tl::unexpected<Error> with_context(Error error, std::string_view context) {
  error.message = fmt::format("{}: {}", context, error.message);
  return tl::unexpected<Error>(std::move(error));
}

}  // namespace ferry
