#include "connectors/files/content_fingerprint.hpp"

#include <array>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>

namespace ferry::connectors::files {
namespace {

constexpr std::string_view kDomain = "ferry/oneroster_csv/fingerprint/v1";

tl::unexpected<Error> openssl_failure(std::string_view what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::array<char, 256> text{};
  if (code != 0) ERR_error_string_n(code, text.data(), text.size());
  return make_error(ErrorCode::kCrypto, "SHA-256 {} failed: {}", what,
                    code != 0 ? text.data() : "no reason given");
}

}  // namespace

struct ContentFingerprint::Digest {
  struct FreeCtx {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
  };
  struct FreeMd {
    void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
  };
  std::unique_ptr<EVP_MD, FreeMd> md;
  std::unique_ptr<EVP_MD_CTX, FreeCtx> ctx;
};

ContentFingerprint::ContentFingerprint(std::unique_ptr<Digest> digest)
    : digest_(std::move(digest)) {}
ContentFingerprint::ContentFingerprint(ContentFingerprint&&) noexcept = default;
ContentFingerprint& ContentFingerprint::operator=(ContentFingerprint&&) noexcept = default;
ContentFingerprint::~ContentFingerprint() = default;

Result<ContentFingerprint> ContentFingerprint::create() {
  auto digest = std::make_unique<Digest>();
  digest->md.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!digest->md) return openssl_failure("fetch");
  digest->ctx.reset(EVP_MD_CTX_new());
  if (!digest->ctx || EVP_DigestInit_ex2(digest->ctx.get(), digest->md.get(), nullptr) != 1) {
    return openssl_failure("init");
  }
  ContentFingerprint fingerprint(std::move(digest));
  if (auto domain = fingerprint.update(std::span<const char>(kDomain.data(), kDomain.size() + 1));
      !domain) {
    return tl::unexpected(std::move(domain.error()));
  }
  return fingerprint;
}

Result<void> ContentFingerprint::update(std::span<const char> bytes) {
  if (bytes.empty()) return {};
  if (EVP_DigestUpdate(digest_->ctx.get(), bytes.data(), bytes.size()) != 1) {
    return openssl_failure("update");
  }
  file_bytes_ += bytes.size();
  return {};
}

Result<void> ContentFingerprint::begin_file(std::string_view name) {
  const std::array<char, 1> zero{};
  if (auto r = update(std::span<const char>(name.data(), name.size())); !r) return r;
  if (auto r = update(zero); !r) return r;
  file_bytes_ = 0;
  return {};
}

Result<void> ContentFingerprint::end_file() {
  std::array<char, 8> length{};
  for (std::size_t i = 0; i < length.size(); ++i) {
    length[i] = static_cast<char>((file_bytes_ >> (8 * (7 - i))) & 0xFF);
  }
  return update(length);
}

Result<bool> ContentFingerprint::add_file(std::string_view name, ByteSource& bytes,
                                          const std::stop_token& stop) {
  if (auto begun = begin_file(name); !begun) return tl::unexpected(std::move(begun.error()));
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    if (stop.stop_requested()) return false;
    auto got = bytes.read(buffer);
    if (!got) return tl::unexpected(std::move(got.error()));
    if (*got == 0) break;
    if (auto hashed = update(std::span<const char>(buffer).first(*got)); !hashed) {
      return tl::unexpected(std::move(hashed.error()));
    }
  }
  if (auto ended = end_file(); !ended) return tl::unexpected(std::move(ended.error()));
  return true;
}

Result<std::string> ContentFingerprint::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(digest_->ctx.get(), digest.data(), &size) != 1) {
    return openssl_failure("final");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0F]);
  }
  return hex;
}

}  // namespace ferry::connectors::files
