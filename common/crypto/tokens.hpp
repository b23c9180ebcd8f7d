// Pseudonym and hash tokens of SPEC section 4, for one key version and one domain.
//
//   pseudonymize: "p<v>." + b64url(AES-SIV(K, P))
//                 K = HKDF-SHA256(secret_v, salt "", "ferry/pseudonym/v1/" + domain, 64)
//   hash:         "h<v>." + b64url(HMAC-SHA256(K, P))
//                 K = HKDF-SHA256(secret_v, salt "", "ferry/hash/v1/" + domain, 32)
//
// Each object derives its key once (create() costs a few microseconds) and keeps the keyed cipher
// state, so producing a token does no key setup. A Pseudonymizer allocates nothing per token
// beyond growing `out` (its internal buffer grows to the longest value seen); a Hasher's SHA-256
// state is duplicated per token inside OpenSSL 3.0 (two small mallocs, see hmac.cpp). Objects are
// not thread-safe: keep one per thread. Values passed here are already normalised (trimmed,
// lower-cased) by the caller; an empty value has no token (SPEC: it passes through) and is refused
// with kInvalidArgument, so the caller must skip it first. The secret is not kept.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

class Pseudonymizer {
 public:
  static Result<Pseudonymizer> create(ByteView secret, std::uint32_t version,
                                      std::string_view domain);
  ~Pseudonymizer();
  Pseudonymizer(Pseudonymizer&&) noexcept;
  Pseudonymizer& operator=(Pseudonymizer&&) noexcept;

  // Appends the token of `value` to `out`.
  Result<void> pseudonymize(std::string_view value, std::string& out);
  // The original value of a token made by this version and domain. A token of another version, a
  // malformed token, or one from another domain (authentication fails) is an error.
  Result<std::string> reveal(std::string_view token);

  std::uint32_t version() const;

 private:
  struct State;
  explicit Pseudonymizer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class Hasher {
 public:
  static Result<Hasher> create(ByteView secret, std::uint32_t version, std::string_view domain);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  // Appends the token of `value` to `out`.
  Result<void> hash(std::string_view value, std::string& out);

  std::uint32_t version() const;

 private:
  struct State;
  explicit Hasher(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The key version a token was made with: "p12.xxxx" -> 12. Error for anything not a token.
Result<std::uint32_t> token_version(std::string_view token);

// True when `domain` matches [a-z0-9_.-]+.
bool is_valid_domain(std::string_view domain);

}  // namespace ferry::crypto
