#include "common/crypto/cmac.hpp"

#include <algorithm>
#include <cstring>

namespace ferry::crypto {
namespace {

constexpr std::size_t kChunkBlocks = 16;  // 256 bytes of stack per EVP call

void xor_into(std::uint8_t* target, const std::uint8_t* source, std::size_t size) noexcept {
  for (std::size_t i = 0; i < size; ++i) target[i] ^= source[i];
}

}  // namespace

AesBlock gf128_double(const AesBlock& block) noexcept {
  AesBlock out{};
  // The carry out of the top bit folds back in as x^7 + x^2 + x + 1 (0x87), without a branch.
  const auto carry = static_cast<std::uint8_t>(0 - (block[0] >> 7));
  for (std::size_t i = 0; i + 1 < kAesBlockSize; ++i) {
    out[i] = static_cast<std::uint8_t>((block[i] << 1) | (block[i + 1] >> 7));
  }
  out[kAesBlockSize - 1] =
      static_cast<std::uint8_t>((block[kAesBlockSize - 1] << 1) ^ (carry & 0x87));
  return out;
}

AesCmac::AesCmac(evp::CipherCtx cbc, const AesBlock& subkey1, const AesBlock& subkey2)
    : cbc_(std::move(cbc)), subkey1_(subkey1), subkey2_(subkey2) {}

AesCmac::AesCmac(AesCmac&& other) noexcept
    : cbc_(std::move(other.cbc_)),
      subkey1_(other.subkey1_),
      subkey2_(other.subkey2_),
      chain_(other.chain_),
      chain_known_(other.chain_known_) {
  secure_wipe(other.subkey1_.data(), kAesBlockSize);
  secure_wipe(other.subkey2_.data(), kAesBlockSize);
}

AesCmac& AesCmac::operator=(AesCmac&& other) noexcept {
  if (this != &other) {
    cbc_ = std::move(other.cbc_);
    subkey1_ = other.subkey1_;
    subkey2_ = other.subkey2_;
    chain_ = other.chain_;
    chain_known_ = other.chain_known_;
    secure_wipe(other.subkey1_.data(), kAesBlockSize);
    secure_wipe(other.subkey2_.data(), kAesBlockSize);
  }
  return *this;
}

AesCmac::~AesCmac() {
  secure_wipe(subkey1_.data(), kAesBlockSize);
  secure_wipe(subkey2_.data(), kAesBlockSize);
  secure_wipe(chain_.data(), kAesBlockSize);
}

Result<AesCmac> AesCmac::create(ByteView key) {
  if (key.size() != 16 && key.size() != 32) {
    return make_error(ErrorCode::kInvalidArgument, "AES-CMAC key must be 16 or 32 bytes, got {}",
                      key.size());
  }
  auto cipher = evp::fetch_cipher(key.size() == 16 ? "AES-128-CBC" : "AES-256-CBC");
  if (!cipher) return tl::unexpected(cipher.error());
  evp::CipherCtx cbc(EVP_CIPHER_CTX_new());
  const AesBlock zero{};
  if (!cbc ||
      EVP_EncryptInit_ex2(cbc.get(), cipher->get(), key.data(), zero.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(cbc.get(), 0) != 1) {
    return evp::openssl_error("AES-CMAC: keying AES-CBC");
  }
  // L = AES(K, 0^128): with a zero IV, the first CBC block is plain AES.
  AesBlock l{};
  int written = 0;
  if (EVP_EncryptUpdate(cbc.get(), l.data(), &written, zero.data(), kAesBlockSize) != 1) {
    return evp::openssl_error("AES-CMAC: subkey generation");
  }
  AesBlock subkey1 = gf128_double(l);
  AesBlock subkey2 = gf128_double(subkey1);
  AesCmac cmac(std::move(cbc), subkey1, subkey2);
  cmac.chain_ = l;  // the context now chains from the block it just produced
  secure_wipe(l.data(), l.size());
  secure_wipe(subkey1.data(), subkey1.size());
  secure_wipe(subkey2.data(), subkey2.size());
  return cmac;
}

Result<AesBlock> AesCmac::mac(ByteView message) { return compute(message, nullptr); }

Result<AesBlock> AesCmac::mac_xorend(ByteView message, const AesBlock& mask) {
  if (message.size() < kAesBlockSize) {
    return make_error(ErrorCode::kInternal, "CMAC xorend needs at least 16 bytes, got {}",
                      message.size());
  }
  return compute(message, &mask);
}

Result<AesBlock> AesCmac::compute(ByteView message, const AesBlock* mask) {
  if (!chain_known_) {
    const AesBlock zero{};
    if (EVP_EncryptInit_ex2(cbc_.get(), nullptr, nullptr, zero.data(), nullptr) != 1) {
      return evp::openssl_error("AES-CMAC: resetting AES-CBC");
    }
    chain_ = zero;
    chain_known_ = true;
  }

  const std::size_t size = message.size();
  // An empty message is one padded block (RFC 4493 section 2.4).
  const std::size_t blocks = size == 0 ? 1 : (size + kAesBlockSize - 1) / kAesBlockSize;
  const bool last_complete = size != 0 && size % kAesBlockSize == 0;
  const std::size_t mask_start = mask != nullptr ? size - kAesBlockSize : size;

  std::uint8_t buffer[kChunkBlocks * kAesBlockSize];
  for (std::size_t first = 0; first < blocks; first += kChunkBlocks) {
    const std::size_t count = std::min(kChunkBlocks, blocks - first);
    const std::size_t offset = first * kAesBlockSize;
    const std::size_t span = count * kAesBlockSize;
    const std::size_t copied = std::min(span, size - offset);
    if (copied > 0) std::memcpy(buffer, message.data() + offset, copied);

    // RFC 5297 xorend: the mask covers the message's last 16 bytes, which may straddle chunks.
    if (mask != nullptr && offset + copied > mask_start) {
      const std::size_t from = std::max(offset, mask_start);
      xor_into(buffer + (from - offset), mask->data() + (from - mask_start),
               offset + copied - from);
    }
    if (first + count == blocks) {
      std::uint8_t* last = buffer + span - kAesBlockSize;
      if (last_complete) {
        xor_into(last, subkey1_.data(), kAesBlockSize);
      } else {
        buffer[copied] = 0x80;
        std::memset(buffer + copied + 1, 0, span - copied - 1);
        xor_into(last, subkey2_.data(), kAesBlockSize);
      }
    }
    // Cancel the context's chaining value so the message's CBC chain starts from a zero IV; later
    // chunks of the same message must chain on, so only the first is adjusted.
    if (first == 0) xor_into(buffer, chain_.data(), kAesBlockSize);
    int written = 0;
    if (EVP_EncryptUpdate(cbc_.get(), buffer, &written, buffer, static_cast<int>(span)) != 1 ||
        static_cast<std::size_t>(written) != span) {
      chain_known_ = false;
      return evp::openssl_error("AES-CMAC: AES-CBC");
    }
    std::memcpy(chain_.data(), buffer + span - kAesBlockSize, kAesBlockSize);
  }
  return chain_;
}

}  // namespace ferry::crypto
