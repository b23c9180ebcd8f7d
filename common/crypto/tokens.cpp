#include "common/crypto/tokens.hpp"

#include <charconv>

#include "common/crypto/aes_siv.hpp"
#include "common/crypto/base64.hpp"
#include "common/crypto/hkdf.hpp"
#include "common/crypto/hmac.hpp"

namespace ferry::crypto {
namespace {

constexpr std::string_view kPseudonymInfo = "ferry/pseudonym/v1/";
constexpr std::string_view kHashInfo = "ferry/hash/v1/";
constexpr std::size_t kPseudonymKeySize = 64;
constexpr std::size_t kHashKeySize = 32;
constexpr std::size_t kMinSecretSize = 16;
constexpr std::size_t kMaxVersionDigits = 10;  // 4294967295

struct ParsedToken {
  char kind;  // 'p' or 'h'
  std::uint32_t version;
  std::string_view body;  // base64url, not yet decoded
};

// Splits "<p|h><version>.<body>" and checks the version's syntax; the body is checked by decoding.
Result<ParsedToken> parse_token(std::string_view token) {
  if (token.empty() || (token[0] != 'p' && token[0] != 'h')) {
    return make_error(ErrorCode::kInvalidArgument,
                      "not a Ferry token: it must start with 'p' (pseudonym) or 'h' (hash)");
  }
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "not a Ferry token: no '.' after the key version (expected like 'p1.<base64url>')");
  }
  const std::string_view digits = token.substr(1, dot - 1);
  if (digits.empty() || digits.size() > kMaxVersionDigits ||
      (digits.size() > 1 && digits[0] == '0')) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "not a Ferry token: the key version must be a decimal number without leading zeros");
  }
  std::uint32_t version = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "not a Ferry token: the key version must be a decimal number below 2^32");
  }
  return ParsedToken{token[0], version, token.substr(dot + 1)};
}

// Decodes a token body and checks its size: a hash is exactly 32 bytes, a pseudonym at least
// 16 (synthetic IV) + 1 (values are never empty).
Result<Bytes> decode_body(const ParsedToken& parsed) {
  auto decoded = base64url_decode(parsed.body);
  if (!decoded) return with_context(decoded.error(), "malformed token");
  if (parsed.kind == 'h' && decoded->size() != HmacSha256::kSize) {
    return make_error(ErrorCode::kInvalidArgument,
                      "malformed token: a hash token carries {} bytes, this one {}",
                      HmacSha256::kSize, decoded->size());
  }
  if (parsed.kind == 'p' && decoded->size() <= AesSiv::kSivSize) {
    return make_error(ErrorCode::kInvalidArgument,
                      "malformed token: too short for a pseudonym ({} bytes, at least {} needed)",
                      decoded->size(), AesSiv::kSivSize + 1);
  }
  return decoded;
}

Result<SecureBytes> derive_key(ByteView secret, std::string_view info_prefix,
                               std::string_view domain, std::size_t size) {
  if (!is_valid_domain(domain)) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "token domain '{}' is not valid: use lower-case letters, digits, '_', '.', '-'", domain);
  }
  if (secret.size() < kMinSecretSize) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "token key secret is {} bytes; at least {} are required (the keyring holds 32)",
        secret.size(), kMinSecretSize);
  }
  std::string info(info_prefix);
  info += domain;
  return hkdf(secret, {}, as_bytes(info), size);
}

std::string token_prefix(char kind, std::uint32_t version) {
  return fmt::format("{}{}.", kind, version);
}

Result<void> refuse_empty(std::string_view value) {
  if (value.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "an empty value has no token (SPEC section 4: empty values pass through)");
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pseudonymizer

struct Pseudonymizer::State {
  AesSiv siv;
  std::uint32_t version;
  std::string domain;
  std::string prefix;  // "p<v>."
  Bytes sealed;        // reused output buffer: SIV || ciphertext
};

Pseudonymizer::Pseudonymizer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Pseudonymizer::~Pseudonymizer() = default;
Pseudonymizer::Pseudonymizer(Pseudonymizer&&) noexcept = default;
Pseudonymizer& Pseudonymizer::operator=(Pseudonymizer&&) noexcept = default;

Result<Pseudonymizer> Pseudonymizer::create(ByteView secret, std::uint32_t version,
                                            std::string_view domain) {
  auto key = derive_key(secret, kPseudonymInfo, domain, kPseudonymKeySize);
  if (!key) return tl::unexpected(key.error());
  auto siv = AesSiv::create(*key);
  if (!siv) return tl::unexpected(siv.error());
  return Pseudonymizer(std::make_unique<State>(
      State{std::move(*siv), version, std::string(domain), token_prefix('p', version), {}}));
}

Result<void> Pseudonymizer::pseudonymize(std::string_view value, std::string& out) {
  if (auto ok = refuse_empty(value); !ok) return ok;
  State& s = *state_;
  const std::size_t size = value.size() + AesSiv::kSivSize;
  if (s.sealed.size() < size) s.sealed.resize(size);
  const std::span<std::uint8_t> sealed(s.sealed.data(), size);
  if (auto done = s.siv.encrypt({}, as_bytes(value), sealed); !done) return done;
  out += s.prefix;
  base64url_encode_append(sealed, out);
  return {};
}

Result<std::string> Pseudonymizer::reveal(std::string_view token) {
  const State& s = *state_;
  auto parsed = parse_token(token);
  if (!parsed) return tl::unexpected(parsed.error());
  if (parsed->kind == 'h') {
    return make_error(ErrorCode::kInvalidArgument,
                      "hash tokens ('h...') are one-way and cannot be revealed");
  }
  if (parsed->version != s.version) {
    return make_error(ErrorCode::kInvalidArgument,
                      "token was made with key version {}, not {}: reveal it with that key version",
                      parsed->version, s.version);
  }
  auto sealed = decode_body(*parsed);
  if (!sealed) return tl::unexpected(sealed.error());
  std::string value(sealed->size() - AesSiv::kSivSize, '\0');
  const std::span<std::uint8_t> plaintext(reinterpret_cast<std::uint8_t*>(value.data()),
                                          value.size());
  if (auto opened = state_->siv.decrypt({}, *sealed, plaintext); !opened) {
    if (opened.error().code != ErrorCode::kCorrupt) return tl::unexpected(opened.error());
    return make_error(
        ErrorCode::kCorrupt,
        "token does not belong to domain '{}' or key version {} (authentication failed)", s.domain,
        s.version);
  }
  return value;
}

std::uint32_t Pseudonymizer::version() const { return state_->version; }

// ---------------------------------------------------------------------------------------------
// Hasher

struct Hasher::State {
  HmacSha256 mac;
  std::uint32_t version;
  std::string prefix;  // "h<v>."
};

Hasher::Hasher(std::unique_ptr<State> state) : state_(std::move(state)) {}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

Result<Hasher> Hasher::create(ByteView secret, std::uint32_t version, std::string_view domain) {
  auto key = derive_key(secret, kHashInfo, domain, kHashKeySize);
  if (!key) return tl::unexpected(key.error());
  auto mac = HmacSha256::create(*key);
  if (!mac) return tl::unexpected(mac.error());
  return Hasher(
      std::make_unique<State>(State{std::move(*mac), version, token_prefix('h', version)}));
}

Result<void> Hasher::hash(std::string_view value, std::string& out) {
  if (auto ok = refuse_empty(value); !ok) return ok;
  auto tag = state_->mac.mac(as_bytes(value));
  if (!tag) return tl::unexpected(tag.error());
  out += state_->prefix;
  base64url_encode_append(*tag, out);
  return {};
}

std::uint32_t Hasher::version() const { return state_->version; }

// ---------------------------------------------------------------------------------------------

Result<std::uint32_t> token_version(std::string_view token) {
  auto parsed = parse_token(token);
  if (!parsed) return tl::unexpected(parsed.error());
  if (auto body = decode_body(*parsed); !body) return tl::unexpected(body.error());
  return parsed->version;
}

bool is_valid_domain(std::string_view domain) {
  if (domain.empty()) return false;
  for (const char c : domain) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace ferry::crypto
