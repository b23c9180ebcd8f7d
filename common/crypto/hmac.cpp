#include "common/crypto/hmac.hpp"

#include <algorithm>

namespace ferry::crypto {
namespace {

constexpr std::size_t kBlockSize = 64;

Result<evp::MdCtx> new_sha256_ctx(const EVP_MD* md) {
  evp::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) {
    return evp::openssl_error("HMAC-SHA256: SHA-256 context set-up");
  }
  return ctx;
}

}  // namespace

// Why this shape: OpenSSL 3.0 offers no allocation-free way to reuse a keyed HMAC. Measured on the
// target machine for a 36-byte message (ns per MAC, heap allocations per MAC):
//   EVP_MAC_CTX_dup of a keyed context + update + final      ~760 ns, 11 allocations
//   EVP_MAC_init(ctx, NULL key) to reset + update + final    ~307 ns,  2 allocations
//   one EVP_MD_CTX re-initialised, both pad blocks re-hashed ~350 ns,  2 allocations
//   EVP_MD_CTX_copy_ex from pre-padded contexts (this)      ~240 ns,  2 allocations
// Each EVP_MD_CTX_copy_ex duplicates the provider's SHA-256 state (one small malloc, served from
// glibc's per-thread cache); no EVP route avoids that in 3.0 short of writing SHA-256 ourselves.
HmacSha256::HmacSha256(evp::MdCtx inner, evp::MdCtx outer, evp::MdCtx work)
    : inner_(std::move(inner)), outer_(std::move(outer)), work_(std::move(work)) {}

Result<HmacSha256> HmacSha256::create(ByteView key) {
  auto md = evp::fetch_md("SHA256");
  if (!md) return tl::unexpected(md.error());

  std::array<std::uint8_t, kBlockSize> block{};
  if (key.size() > kBlockSize) {
    unsigned int size = 0;
    if (EVP_Digest(key.data(), key.size(), block.data(), &size, md->get(), nullptr) != 1) {
      return evp::openssl_error("HMAC-SHA256: hashing a long key");
    }
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }

  auto inner = new_sha256_ctx(md->get());
  auto outer = new_sha256_ctx(md->get());
  auto work = new_sha256_ctx(md->get());
  if (!inner || !outer || !work) {
    secure_wipe(block.data(), block.size());
    return tl::unexpected(!inner ? inner.error() : !outer ? outer.error() : work.error());
  }
  std::array<std::uint8_t, kBlockSize> pad{};
  for (std::size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
  const bool inner_ok = EVP_DigestUpdate(inner->get(), pad.data(), pad.size()) == 1;
  for (std::size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
  const bool outer_ok = EVP_DigestUpdate(outer->get(), pad.data(), pad.size()) == 1;
  secure_wipe(pad.data(), pad.size());
  secure_wipe(block.data(), block.size());
  if (!inner_ok || !outer_ok) return evp::openssl_error("HMAC-SHA256: absorbing the key");
  return HmacSha256(std::move(*inner), std::move(*outer), std::move(*work));
}

Result<HmacSha256::Tag> HmacSha256::mac(ByteView data) {
  Tag inner_hash{};
  Tag tag{};
  unsigned int size = 0;
  if (EVP_MD_CTX_copy_ex(work_.get(), inner_.get()) != 1 ||
      EVP_DigestUpdate(work_.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(work_.get(), inner_hash.data(), &size) != 1 ||
      EVP_MD_CTX_copy_ex(work_.get(), outer_.get()) != 1 ||
      EVP_DigestUpdate(work_.get(), inner_hash.data(), inner_hash.size()) != 1 ||
      EVP_DigestFinal_ex(work_.get(), tag.data(), &size) != 1) {
    return evp::openssl_error("HMAC-SHA256");
  }
  return tag;
}

Result<HmacSha256::Tag> hmac_sha256(ByteView key, ByteView data) {
  auto keyed = HmacSha256::create(key);
  if (!keyed) return tl::unexpected(keyed.error());
  return keyed->mac(data);
}

}  // namespace ferry::crypto
