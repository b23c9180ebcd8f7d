// The key file on disk outside Windows (at_rest.hpp): its JSON as it is; a file that Windows
// protected cannot be read here.
#include "common/keys/at_rest.hpp"

#include <fmt/format.h>

#include "common/error/path_text.hpp"

namespace ferry::keys::detail {

SystemProtection system_protection() { return {.wraps = false}; }

Result<crypto::Bytes> protect(std::string_view text) {
  return crypto::Bytes(text.begin(), text.end());
}

Result<SecureText> unprotect(crypto::ByteView blob, const std::filesystem::path& path) {
  (void)blob;
  return make_error(ErrorCode::kInvalidArgument,
                    "{} is a key file protected with Windows DPAPI: only the Windows machine that "
                    "wrote it can read it. Move the keys with 'ferry keys export' on that machine "
                    "and 'ferry keys import' here",
                    path_text(path));
}

}  // namespace ferry::keys::detail
