// Helpers for the crypto tests: hex conversion (the known answers are in known_answers.hpp).
#pragma once

#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"

namespace ferry::test {

crypto::Bytes from_hex(std::string_view hex);
std::string to_hex(crypto::ByteView bytes);

}  // namespace ferry::test
