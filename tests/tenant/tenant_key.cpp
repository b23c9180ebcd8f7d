#include "tests/tenant/tenant_key.hpp"

#include "common/crypto/base64.hpp"
#include "common/crypto/x25519.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/fs/read_file.hpp"

namespace ferry::tenant {

Result<crypto::Bytes> generate_key_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return make_error(ErrorCode::kAlreadyExists,
                      "{} already exists: refusing to overwrite a key (choose another --out, or "
                      "remove the old key if you really mean to replace it)",
                      path.string());
  }
  auto pair = crypto::x25519_generate_keypair();
  if (!pair) return tl::unexpected(pair.error());
  std::string text = crypto::base64_encode(pair->private_key);
  text += '\n';
  auto written = fs::write_file_atomically(path, text, 0600, fs::Overwrite::kRefuse);
  crypto::secure_wipe(text.data(), text.size());
  if (!written) return tl::unexpected(written.error());
  return std::move(pair->public_key);
}

Result<crypto::SecureBytes> read_key_file(const std::filesystem::path& path) {
  if (auto private_file = fs::require_private_file(path); !private_file) {
    return tl::unexpected(private_file.error());
  }
  auto text = fs::read_small_file(path, 4096);
  if (!text) return tl::unexpected(text.error());
  std::string_view body = *text;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) {
    body.remove_suffix(1);
  }
  auto raw = crypto::base64_decode(body);
  crypto::secure_wipe(text->data(), text->size());
  if (!raw || raw->size() != crypto::kX25519KeySize) {
    if (raw) crypto::secure_wipe(raw->data(), raw->size());
    return make_error(ErrorCode::kCorrupt,
                      "{} is not a tenant private key (expected the base64 of 32 bytes, as "
                      "written by 'ferry-tenant keygen')",
                      path.string());
  }
  crypto::SecureBytes key(raw->begin(), raw->end());
  crypto::secure_wipe(raw->data(), raw->size());
  return key;
}

}  // namespace ferry::tenant
