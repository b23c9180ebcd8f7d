#include "connectors/sql/odbc_text.hpp"

#include <cstdint>

#include "connectors/sqlite_query/row_values.hpp"

namespace ferry::connectors::sql {
namespace {

void append_code_point(std::uint32_t code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

void append_wide(std::uint32_t code, WideString& out) {
  if (code < 0x10000) {
    out += static_cast<SQLWCHAR>(code);
  } else {
    code -= 0x10000;
    out += static_cast<SQLWCHAR>(0xd800 + (code >> 10));
    out += static_cast<SQLWCHAR>(0xdc00 + (code & 0x3ff));
  }
}

}  // namespace

WideString to_wide(std::string_view utf8) {
  WideString out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::uint32_t code = 0;
    const std::size_t length = sqlite_query::next_code_point(utf8, i, code);
    if (length == 0) {
      out += static_cast<SQLWCHAR>(0xfffd);
      ++i;
      continue;
    }
    i += length;
    append_wide(code, out);
  }
  return out;
}

void append_utf8(const SQLWCHAR* text, std::size_t length, std::string& out) {
  std::size_t i = 0;
  while (i < length) {
    // A run of ASCII, the usual text, is copied unit for byte in one go.
    std::size_t ascii = i;
    while (ascii < length && text[ascii] < 0x80) ++ascii;
    if (ascii > i) {
      const std::size_t at = out.size();
      out.resize(at + (ascii - i));
      char* to = out.data() + at;
      for (; i < ascii; ++i) *to++ = static_cast<char>(text[i]);
      continue;
    }
    const std::uint32_t unit = text[i];
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < length && text[i + 1] >= 0xdc00 &&
        text[i + 1] <= 0xdfff) {
      const std::uint32_t low = text[i + 1];
      append_code_point(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), out);
      i += 2;
      continue;
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      out += static_cast<char>(0xff);
    } else {
      append_code_point(unit, out);
    }
    ++i;
  }
}

std::string to_utf8(const SQLWCHAR* text, std::size_t length) {
  std::string out;
  out.reserve(length);
  append_utf8(text, length, out);
  return out;
}

}  // namespace ferry::connectors::sql
