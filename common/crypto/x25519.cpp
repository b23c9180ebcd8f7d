#include "common/crypto/x25519.hpp"

#include "common/crypto/evp.hpp"

namespace ferry::crypto {
namespace {

Result<void> check_size(ByteView key, std::string_view what) {
  if (key.size() != kX25519KeySize) {
    return make_error(ErrorCode::kInvalidArgument, "X25519 {} must be {} bytes, got {}", what,
                      kX25519KeySize, key.size());
  }
  return {};
}

Result<evp::PKey> private_key_from(ByteView raw) {
  if (auto ok = check_size(raw, "private key"); !ok) return tl::unexpected(ok.error());
  evp::PKey key(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, raw.data(), raw.size()));
  if (!key) return evp::openssl_error("X25519: loading the private key");
  return key;
}

Result<Bytes> raw_public(const EVP_PKEY* key) {
  Bytes out(kX25519KeySize);
  std::size_t size = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &size) != 1 || size != kX25519KeySize) {
    return evp::openssl_error("X25519: reading the public key");
  }
  return out;
}

}  // namespace

Result<X25519KeyPair> x25519_generate_keypair() {
  evp::PKeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
  EVP_PKEY* generated = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_generate(ctx.get(), &generated) != 1) {
    return evp::openssl_error("X25519: key generation");
  }
  const evp::PKey key(generated);
  X25519KeyPair pair;
  pair.private_key.resize(kX25519KeySize);
  std::size_t size = pair.private_key.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), pair.private_key.data(), &size) != 1 ||
      size != kX25519KeySize) {
    return evp::openssl_error("X25519: reading the private key");
  }
  auto public_key = raw_public(key.get());
  if (!public_key) return tl::unexpected(public_key.error());
  pair.public_key = std::move(*public_key);
  return pair;
}

Result<Bytes> x25519_public_from_private(ByteView private_key) {
  auto key = private_key_from(private_key);
  if (!key) return tl::unexpected(key.error());
  return raw_public(key->get());
}

Result<SecureBytes> x25519_derive(ByteView private_key, ByteView peer_public_key) {
  auto key = private_key_from(private_key);
  if (!key) return tl::unexpected(key.error());
  if (auto ok = check_size(peer_public_key, "public key"); !ok) return tl::unexpected(ok.error());
  const evp::PKey peer(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "X25519", nullptr, peer_public_key.data(), peer_public_key.size()));
  if (!peer) return evp::openssl_error("X25519: loading the peer public key");

  evp::PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), 0) != 1) {
    return evp::openssl_error("X25519: key agreement set-up");
  }
  SecureBytes shared(kX25519KeySize);
  std::size_t size = shared.size();
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &size) != 1 || size != kX25519KeySize) {
    // OpenSSL refuses an all-zero shared secret here; we check again below whatever the version.
    return evp::openssl_error("X25519 key agreement (is the peer public key of low order?)");
  }
  const std::uint8_t zero[kX25519KeySize] = {};
  if (constant_time_equal(shared, zero)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "X25519 key agreement failed: the peer public key is invalid (low order)");
  }
  return shared;
}

Result<void> x25519_check_public_key(ByteView public_key) {
  auto ephemeral = x25519_generate_keypair();
  if (!ephemeral) return tl::unexpected(ephemeral.error());
  auto shared = x25519_derive(ephemeral->private_key, public_key);
  if (!shared) {
    return make_error(ErrorCode::kInvalidArgument,
                      "is not a usable X25519 public key (all zeros, or a point of low order)");
  }
  return {};
}

}  // namespace ferry::crypto
