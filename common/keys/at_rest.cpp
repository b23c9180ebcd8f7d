// The key file's form on disk (at_rest.hpp): the wrapping, the same on every system; the DPAPI
// calls are in at_rest_windows.cpp.
#include "common/keys/at_rest.hpp"

#include <iterator>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/crypto/base64.hpp"
#include "common/error/path_text.hpp"

namespace ferry::keys {

Result<SecureText> wrap_at_rest(std::string_view text) {
  if (!detail::system_protection().wraps) return SecureText(text.begin(), text.end());
  auto blob = detail::protect(text);
  if (!blob) return tl::unexpected(blob.error());
  SecureText wrapped;
  fmt::format_to(std::back_inserter(wrapped), "{{\"format\": \"{}\", \"protected\": \"{}\"}}\n",
                 kProtectedKeyringFormat, crypto::base64_encode(*blob));
  return wrapped;
}

Result<SecureText> unwrap_at_rest(std::string_view content, const std::filesystem::path& path) {
  // A plain key file is returned untouched, never parsed here: its secrets go only into the wiped
  // buffers of Keyring::parse. A protected one holds no secret in clear and is parsed as it is.
  const std::string marker = fmt::format("\"{}\"", kProtectedKeyringFormat);
  if (content.find(marker) == std::string_view::npos) {
    return SecureText(content.begin(), content.end());
  }
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(content, ec);
  const auto* object = ec ? nullptr : value.if_object();
  const auto* format = object ? object->if_contains("format") : nullptr;
  const auto* sealed = object ? object->if_contains("protected") : nullptr;
  if (format == nullptr || !format->is_string() || format->as_string() != kProtectedKeyringFormat ||
      sealed == nullptr || !sealed->is_string()) {
    return make_error(ErrorCode::kCorrupt,
                      "{} is not a key file: it names the format {} but does not have its fields "
                      "(restore it from a backup with 'ferry keys import')",
                      path_text(path), kProtectedKeyringFormat);
  }
  const boost::json::string& text = sealed->as_string();
  auto blob = crypto::base64_decode(std::string_view(text.data(), text.size()));
  if (!blob) {
    return make_error(ErrorCode::kCorrupt,
                      "{} is damaged: its protected part is not base64 (restore it from a backup "
                      "with 'ferry keys import')",
                      path_text(path));
  }
  return detail::unprotect(*blob, path);
}

}  // namespace ferry::keys
