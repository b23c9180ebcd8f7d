#include "common/log/printable.hpp"

#include <fmt/format.h>

namespace ferry::log {
namespace {

// The length of the UTF-8 sequence at `text[at]` and its code point; 0 when it is not valid UTF-8
// (a stray continuation byte, a truncated or overlong sequence, a surrogate, above U+10FFFF).
std::size_t decode(std::string_view text, std::size_t at, char32_t& code) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char first = byte(at);
  std::size_t length = 0;
  char32_t min = 0;
  if (first < 0x80) {
    code = first;
    return 1;
  }
  if ((first & 0xE0) == 0xC0) {
    length = 2;
    code = first & 0x1F;
    min = 0x80;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3;
    code = first & 0x0F;
    min = 0x800;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4;
    code = first & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

// Code points that are printable in a terminal but change how text reads or where lines break.
bool is_invisible_control(char32_t code) {
  return (code >= 0x80 && code <= 0x9F) ||      // C1 controls (0x9B is a terminal CSI)
         code == 0x2028 || code == 0x2029 ||      // line and paragraph separators
         (code >= 0x202A && code <= 0x202E) ||    // bidi embeddings and overrides
         (code >= 0x2066 && code <= 0x2069) ||    // bidi isolates
         code == 0x200E || code == 0x200F || code == 0x061C;  // direction marks
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  std::size_t at = 0;
  while (at < text.size()) {
    std::string piece;
    char32_t code = 0;
    const std::size_t length = decode(text, at, code);
    if (length == 0) {
      piece = fmt::format("\\x{:02x}", static_cast<unsigned char>(text[at]));
    } else if (code == '\n') {
      piece = "\\n";
    } else if (code == '\r') {
      piece = "\\r";
    } else if (code == '\t') {
      piece = "\\t";
    } else if (code == '\\') {
      piece = "\\\\";
    } else if (code < 0x20 || code == 0x7F) {
      piece = fmt::format("\\x{:02x}", static_cast<unsigned>(code));
    } else if (is_invisible_control(code)) {
      piece = fmt::format("\\u{{{:04x}}}", static_cast<std::uint32_t>(code));
    } else {
      piece.assign(text.substr(at, length));
    }
    const std::size_t consumed = length == 0 ? 1 : length;
    if (out.size() + piece.size() > max_bytes) {
      out += fmt::format("... ({} bytes more)", text.size() - at);
      return out;
    }
    out += piece;
    at += consumed;
  }
  return out;
}

}  // namespace ferry::log
