#include "tests/tenant/tenant_key.hpp"

#include "common/crypto/base64.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/fs/secret_file.hpp"

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
  auto written =
      fs::write_file_atomically(path, text, fs::Access::kOwnerOnly, fs::Overwrite::kRefuse);
  crypto::secure_wipe(text.data(), text.size());
  if (!written) return tl::unexpected(written.error());
  return std::move(pair->public_key);
}

Result<crypto::SecureBytes> read_key_file(const std::filesystem::path& path) {
  // As the agent reads its secrets (common/fs/secret_file.hpp). The tenant has no data_dir of a
  // service account before it reads this: run as root, it also trusts the key folder's owner.
  auto text = fs::read_secret_file(path, 4096, path.parent_path());
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

Result<TenantKey> load_tenant_key(const std::filesystem::path& path) {
  auto private_key = read_key_file(path);
  if (!private_key) return tl::unexpected(private_key.error());
  auto public_key = crypto::x25519_public_from_private(*private_key);
  if (!public_key) return tl::unexpected(public_key.error());
  auto id = frame::tenant_key_id(*public_key);
  if (!id) return tl::unexpected(id.error());
  return TenantKey{std::move(*id), std::move(*private_key), path};
}

}  // namespace ferry::tenant
