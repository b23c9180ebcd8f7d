// The key file as it lies on disk (SPEC section 4 describes its JSON).
//  - Linux: the JSON as it is; the file's mode (0600) and owner keep it private.
//  - Windows: the same JSON wrapped with DPAPI (CryptProtectData, machine scope, with Ferry's own
//    entropy), besides the file's access list, so that a copy taken off the machine (a backup, a
//    disk image, a stolen disk) reveals nothing:
//      {"format": "ferry-keyring-dpapi-1", "protected": "<base64 of the DPAPI blob>"}
//    A plain key file (copied in, or older) is still read there, and written protected at its
//    next change.
// A protected file read elsewhere is refused with the way to move keys: `ferry keys export` on the
// machine that wrote it, `ferry keys import` here. Keys move between machines and systems only
// that way (a passphrase-encrypted export, keyring_export.hpp).
#pragma once

#include <filesystem>
#include <string_view>

#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::keys {

inline constexpr std::string_view kProtectedKeyringFormat = "ferry-keyring-dpapi-1";

// What save() writes for the key file's JSON `text`.
Result<SecureText> wrap_at_rest(std::string_view text);
// The key file's JSON from what is on disk at `path` (named in messages): unwrapped when
// protected, as it is otherwise.
Result<SecureText> unwrap_at_rest(std::string_view content, const std::filesystem::path& path);

namespace detail {
// The system's part (at_rest_posix.cpp, at_rest_windows.cpp): seal and open a DPAPI blob.
// Elsewhere than Windows, protect() returns `text` as it is and unprotect() fails.
struct SystemProtection {
  bool wraps;  // Windows: save() writes protected files
};
SystemProtection system_protection();
Result<crypto::Bytes> protect(std::string_view text);
Result<SecureText> unprotect(crypto::ByteView blob, const std::filesystem::path& path);
}  // namespace detail

}  // namespace ferry::keys
