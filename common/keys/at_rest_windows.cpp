// The key file on disk on Windows (at_rest.hpp): DPAPI, machine scope. Any account of this
// machine could unwrap the blob, so the file's access list (the service's account,
// Administrators, SYSTEM) is what keeps other accounts out; DPAPI is what keeps a copy of the
// file useless anywhere else.
#include <windows.h>
// After windows.h:
#include <dpapi.h>
#include <fmt/format.h>

#include "common/crypto/bytes.hpp"
#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"
#include "common/keys/at_rest.hpp"

namespace ferry::keys::detail {
namespace {

// Ferry's own entropy: a blob of another program's is not taken for a key file, nor ours for
// theirs.
constexpr std::string_view kEntropy = "ferry-keyring-1";

DATA_BLOB blob_of(const void* data, std::size_t size) {
  return DATA_BLOB{static_cast<DWORD>(size), static_cast<BYTE*>(const_cast<void*>(data))};
}

}  // namespace

SystemProtection system_protection() { return {.wraps = true}; }

Result<crypto::Bytes> protect(std::string_view text) {
  DATA_BLOB in = blob_of(text.data(), text.size());
  DATA_BLOB entropy = blob_of(kEntropy.data(), kEntropy.size());
  DATA_BLOB out{};
  if (!::CryptProtectData(&in, L"Ferry key file", &entropy, nullptr, nullptr,
                          CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    return make_error(ErrorCode::kCrypto, "cannot protect the key file with DPAPI: {}",
                      env::windows::system_message(::GetLastError()));
  }
  crypto::Bytes sealed(out.pbData, out.pbData + out.cbData);
  ::LocalFree(out.pbData);
  return sealed;
}

Result<SecureText> unprotect(crypto::ByteView blob, const std::filesystem::path& path) {
  DATA_BLOB in = blob_of(blob.data(), blob.size());
  DATA_BLOB entropy = blob_of(kEntropy.data(), kEntropy.size());
  DATA_BLOB out{};
  if (!::CryptUnprotectData(&in, nullptr, &entropy, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN,
                            &out)) {
    return make_error(ErrorCode::kCrypto,
                      "{} cannot be unwrapped on this machine ({}): a key file protected with "
                      "DPAPI opens only on the machine that wrote it. Restore the keys with "
                      "'ferry keys import' from an export ('ferry keys export')",
                      path_text(path), env::windows::system_message(::GetLastError()));
  }
  SecureText text(reinterpret_cast<const char*>(out.pbData), out.cbData);
  ::SecureZeroMemory(out.pbData, out.cbData);
  ::LocalFree(out.pbData);
  return text;
}

}  // namespace ferry::keys::detail
