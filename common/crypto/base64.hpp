// Base64 (RFC 4648 section 4, with padding) and base64url (section 5, without padding).
// Decoders are strict: wrong alphabet, bad padding or non-zero trailing bits are errors.
#pragma once

#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::crypto {

std::string base64_encode(ByteView data);
Result<Bytes> base64_decode(std::string_view text);

std::string base64url_encode(ByteView data);
// Appends to `out` without a temporary string: the token hot path uses this.
void base64url_encode_append(ByteView data, std::string& out);
Result<Bytes> base64url_decode(std::string_view text);

}  // namespace ferry::crypto
