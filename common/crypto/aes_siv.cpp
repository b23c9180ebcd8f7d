#include "common/crypto/aes_siv.hpp"

#include <algorithm>
#include <cstring>

#include "common/crypto/cmac.hpp"
#include "common/crypto/evp.hpp"

namespace ferry::crypto {
namespace {

constexpr std::size_t kChunkBlocks = 16;  // key stream made 256 bytes per EVP call

void xor_block(AesBlock& target, const AesBlock& source) noexcept {
  for (std::size_t i = 0; i < kAesBlockSize; ++i) target[i] ^= source[i];
}

// Adds 1 to a 128-bit big-endian counter.
void increment(AesBlock& counter) noexcept {
  for (std::size_t i = kAesBlockSize; i-- > 0;) {
    if (++counter[i] != 0) break;
  }
}

}  // namespace

struct AesSiv::State {
  AesCmac s2v_mac;         // CMAC under K1
  evp::CipherCtx ctr_ecb;  // AES-ECB under K2, padding off: the CTR block function
  AesBlock d0{};           // D = CMAC(K1, 0^128), S2V's starting value
  AesBlock d0_doubled{};   // dbl(D): what a short plaintext is masked with when there is no AD

  State(AesCmac mac, evp::CipherCtx ecb) : s2v_mac(std::move(mac)), ctr_ecb(std::move(ecb)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    secure_wipe(d0.data(), d0.size());
    secure_wipe(d0_doubled.data(), d0_doubled.size());
  }

  // S2V(K1, AD_1, ..., AD_n, P) of RFC 5297 section 2.4.
  Result<AesBlock> s2v(std::span<const ByteView> associated_data, ByteView plaintext) {
    AesBlock d = d0;
    for (const ByteView component : associated_data) {
      auto mac = s2v_mac.mac(component);
      if (!mac) return mac;
      d = gf128_double(d);
      xor_block(d, *mac);
    }
    if (plaintext.size() >= kAesBlockSize) return s2v_mac.mac_xorend(plaintext, d);
    // T = dbl(D) xor pad(P): P, then 0x80, then zeros.
    AesBlock t = associated_data.empty() ? d0_doubled : gf128_double(d);
    AesBlock padded{};
    if (!plaintext.empty()) std::memcpy(padded.data(), plaintext.data(), plaintext.size());
    padded[plaintext.size()] = 0x80;
    xor_block(t, padded);
    return s2v_mac.mac(t);
  }

  // out = in xor AES-CTR(K2, Q), Q = V with bits 63 and 31 cleared (RFC 5297 section 2.6).
  Result<void> ctr(const AesBlock& v, ByteView in, std::uint8_t* out) {
    AesBlock counter = v;
    counter[8] &= 0x7f;
    counter[12] &= 0x7f;
    std::uint8_t stream[kChunkBlocks * kAesBlockSize];
    for (std::size_t offset = 0; offset < in.size(); offset += sizeof(stream)) {
      const std::size_t size = std::min(sizeof(stream), in.size() - offset);
      const std::size_t blocks = (size + kAesBlockSize - 1) / kAesBlockSize;
      for (std::size_t b = 0; b < blocks; ++b) {
        std::memcpy(stream + b * kAesBlockSize, counter.data(), kAesBlockSize);
        increment(counter);
      }
      int written = 0;
      const int length = static_cast<int>(blocks * kAesBlockSize);
      if (EVP_EncryptUpdate(ctr_ecb.get(), stream, &written, stream, length) != 1 ||
          written != length) {
        return evp::openssl_error("AES-SIV: AES-CTR key stream");
      }
      for (std::size_t i = 0; i < size; ++i) out[offset + i] = in[offset + i] ^ stream[i];
    }
    // The key stream XOR-ed with the output gives the plaintext; wipe the part that was used.
    secure_wipe(stream, std::min(sizeof(stream), in.size() + kAesBlockSize - 1) / kAesBlockSize *
                            kAesBlockSize);
    return {};
  }
};

AesSiv::AesSiv(std::unique_ptr<State> state) : state_(std::move(state)) {}
AesSiv::AesSiv(AesSiv&&) noexcept = default;
AesSiv& AesSiv::operator=(AesSiv&&) noexcept = default;
AesSiv::~AesSiv() = default;

Result<AesSiv> AesSiv::create(ByteView key) {
  if (key.size() != 64 && key.size() != 32) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "AES-SIV key must be 64 bytes (AES-SIV-512) or 32 bytes (AES-SIV-256), got {}", key.size());
  }
  const std::size_t half = key.size() / 2;
  auto mac = AesCmac::create(key.first(half));
  if (!mac) return tl::unexpected(mac.error());

  auto cipher = evp::fetch_cipher(half == 16 ? "AES-128-ECB" : "AES-256-ECB");
  if (!cipher) return tl::unexpected(cipher.error());
  evp::CipherCtx ecb(EVP_CIPHER_CTX_new());
  if (!ecb ||
      EVP_EncryptInit_ex2(ecb.get(), cipher->get(), key.last(half).data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ecb.get(), 0) != 1) {
    return evp::openssl_error("AES-SIV: keying AES-ECB");
  }

  auto state = std::make_unique<State>(std::move(*mac), std::move(ecb));
  const AesBlock zero{};
  auto d0 = state->s2v_mac.mac(zero);
  if (!d0) return tl::unexpected(d0.error());
  state->d0 = *d0;
  state->d0_doubled = gf128_double(*d0);
  return AesSiv(std::move(state));
}

Result<void> AesSiv::encrypt(std::span<const ByteView> associated_data, ByteView plaintext,
                             std::span<std::uint8_t> sealed) {
  if (associated_data.size() > kMaxAssociatedData) {
    return make_error(ErrorCode::kInvalidArgument,
                      "AES-SIV takes at most {} associated data components, got {}",
                      kMaxAssociatedData, associated_data.size());
  }
  if (sealed.size() != plaintext.size() + kSivSize) {
    return make_error(ErrorCode::kInternal, "AES-SIV output buffer is {} bytes, needs {}",
                      sealed.size(), plaintext.size() + kSivSize);
  }
  auto v = state_->s2v(associated_data, plaintext);
  if (!v) return tl::unexpected(v.error());
  std::memcpy(sealed.data(), v->data(), kSivSize);
  return state_->ctr(*v, plaintext, sealed.data() + kSivSize);
}

Result<Bytes> AesSiv::encrypt(std::span<const ByteView> associated_data, ByteView plaintext) {
  Bytes sealed(plaintext.size() + kSivSize);
  if (auto done = encrypt(associated_data, plaintext, sealed); !done) {
    return tl::unexpected(done.error());
  }
  return sealed;
}

Result<void> AesSiv::decrypt(std::span<const ByteView> associated_data, ByteView sealed,
                             std::span<std::uint8_t> plaintext) {
  if (associated_data.size() > kMaxAssociatedData) {
    return make_error(ErrorCode::kInvalidArgument,
                      "AES-SIV takes at most {} associated data components, got {}",
                      kMaxAssociatedData, associated_data.size());
  }
  if (sealed.size() < kSivSize) {
    return make_error(ErrorCode::kCorrupt,
                      "AES-SIV ciphertext is {} bytes, shorter than its 16-byte synthetic IV",
                      sealed.size());
  }
  if (plaintext.size() != sealed.size() - kSivSize) {
    return make_error(ErrorCode::kInternal, "AES-SIV plaintext buffer is {} bytes, needs {}",
                      plaintext.size(), sealed.size() - kSivSize);
  }
  AesBlock v{};
  std::memcpy(v.data(), sealed.data(), kSivSize);
  if (auto done = state_->ctr(v, sealed.subspan(kSivSize), plaintext.data()); !done) return done;
  auto expected = state_->s2v(associated_data, plaintext);
  if (!expected) {
    secure_wipe(plaintext.data(), plaintext.size());
    return tl::unexpected(expected.error());
  }
  if (!constant_time_equal(*expected, v)) {
    secure_wipe(plaintext.data(), plaintext.size());
    return make_error(ErrorCode::kCorrupt, "AES-SIV authentication failed");
  }
  return {};
}

Result<Bytes> AesSiv::decrypt(std::span<const ByteView> associated_data, ByteView sealed) {
  if (sealed.size() < kSivSize) {
    return make_error(ErrorCode::kCorrupt,
                      "AES-SIV ciphertext is {} bytes, shorter than its 16-byte synthetic IV",
                      sealed.size());
  }
  Bytes plaintext(sealed.size() - kSivSize);
  if (auto done = decrypt(associated_data, sealed, plaintext); !done) {
    return tl::unexpected(done.error());
  }
  return plaintext;
}

}  // namespace ferry::crypto
