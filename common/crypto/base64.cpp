#include "common/crypto/base64.hpp"

#include <array>
#include <cstdint>

namespace ferry::crypto {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> reverse_table(const char* alphabet) {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}

constexpr auto kStandardReverse = reverse_table(kStandard);
constexpr auto kUrlReverse = reverse_table(kUrl);

// Writes the unpadded encoding of `data` (ceil(4n/3) characters) to `out`.
void encode_unpadded(ByteView data, const char* alphabet, char* out) noexcept {
  std::size_t i = 0;
  const std::size_t n = data.size();
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                            std::uint32_t{data[i + 2]};
    *out++ = alphabet[(v >> 18) & 63];
    *out++ = alphabet[(v >> 12) & 63];
    *out++ = alphabet[(v >> 6) & 63];
    *out++ = alphabet[v & 63];
  }
  if (n - i == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    *out++ = alphabet[(v >> 18) & 63];
    *out++ = alphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    *out++ = alphabet[(v >> 18) & 63];
    *out++ = alphabet[(v >> 12) & 63];
    *out++ = alphabet[(v >> 6) & 63];
  }
}

constexpr std::size_t unpadded_length(std::size_t n) {
  return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

// Decodes unpadded text whose length is not 1 mod 4. `name` is "base64" or "base64url" for
// messages.
Result<Bytes> decode_unpadded(std::string_view text, const std::array<std::uint8_t, 256>& reverse,
                              std::string_view name) {
  if (text.size() % 4 == 1) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "{} text of {} characters is truncated (length is 1 more than a multiple of 4)", name,
        text.size());
  }
  Bytes out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint8_t v = reverse[static_cast<unsigned char>(text[i])];
    if (v == kInvalid) {
      // The character is shown as a code, not as text: a key file's secret must never reach a log.
      return make_error(ErrorCode::kInvalidArgument,
                        "invalid {} character (code 0x{:02x}) at offset {}", name,
                        static_cast<unsigned char>(text[i]), i);
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1U << bits) - 1;
    }
  }
  // A canonical encoding leaves the unused low bits of the last character zero.
  if (acc != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} text is not canonical (non-zero bits after the last byte)", name);
  }
  return out;
}

}  // namespace

std::string base64_encode(ByteView data) {
  std::string out((data.size() + 2) / 3 * 4, '=');
  encode_unpadded(data, kStandard, out.data());
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "base64 text of {} characters is not a multiple of 4 long (padding missing?)",
                      text.size());
  }
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  // Any '=' left inside the body (a third one, or one in the middle) is rejected as a bad
  // character.
  return decode_unpadded(text.substr(0, text.size() - padding), kStandardReverse, "base64");
}

std::string base64url_encode(ByteView data) {
  std::string out;
  base64url_encode_append(data, out);
  return out;
}

void base64url_encode_append(ByteView data, std::string& out) {
  const std::size_t old_size = out.size();
  out.resize(old_size + unpadded_length(data.size()));
  encode_unpadded(data, kUrl, out.data() + old_size);
}

Result<Bytes> base64url_decode(std::string_view text) {
  if (const auto pad = text.find('='); pad != std::string_view::npos) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "base64url text has padding '=' at offset {} (Ferry uses base64url without padding)", pad);
  }
  return decode_unpadded(text, kUrlReverse, "base64url");
}

}  // namespace ferry::crypto
