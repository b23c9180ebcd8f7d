#include "connectors/sqlite_query/row_values.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace ferry::connectors::sqlite_query {

namespace {

void append_hex(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.resize(bytes.size() * 2);
  for (std::size_t b = 0; b < bytes.size(); ++b) {
    const auto byte = static_cast<unsigned char>(bytes[b]);
    out[2 * b] = kHex[byte >> 4];
    out[2 * b + 1] = kHex[byte & 0x0f];
  }
}

void append_base64(std::string_view bytes, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.clear();
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return;
  std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out += kAlphabet[(n >> 18) & 63];
  out += kAlphabet[(n >> 12) & 63];
  out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
  out += '=';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

RowConverter::RowConverter(std::vector<std::string> columns, BinaryText binary)
    : columns_(std::move(columns)),
      binary_(binary),
      buffers_(columns_.size()),
      values_(columns_.size()) {}

bool decimal_as_json_number(std::string_view text, std::string& out) {
  out.clear();
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    if (text[i] == '-') out += '-';
    ++i;
  }
  const std::size_t integer_start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  std::string_view integer = text.substr(integer_start, i - integer_start);
  // JSON allows no leading zeros: "007.5" becomes "7.5", "000" becomes "0".
  while (integer.size() > 1 && integer.front() == '0') integer.remove_prefix(1);
  bool any_digit = !integer.empty();
  out += integer.empty() ? std::string_view("0") : integer;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t fraction_start = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i > fraction_start) {
      out += '.';
      out += text.substr(fraction_start, i - fraction_start);
      any_digit = true;
    }
  }
  if (!any_digit) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    out += 'e';
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) out += text[i++];
    const std::size_t exponent_start = i;
    while (i < text.size() && is_digit(text[i])) out += text[i++];
    if (i == exponent_start) return false;
  }
  return i == text.size();
}

std::optional<std::string> RowConverter::convert(const PreparedQuery& query) {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const Cell cell = query.cell(i);
    std::string& buffer = buffers_[i];
    switch (cell.type) {
      case CellType::kNull:
        values_[i] = Value::null();
        break;
      case CellType::kInteger: {
        std::array<char, 24> digits{};
        const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), cell.integer);
        buffer.assign(digits.data(), end.ptr);
        values_[i] = Value::number(buffer);
        break;
      }
      case CellType::kReal:
        if (!std::isfinite(cell.real)) {
          return "column '" + columns_[i] + "' holds an infinite real, which JSON cannot carry";
        }
        format_real(cell.real, buffer);
        values_[i] = Value::number(buffer);
        break;
      case CellType::kText:
        if (!is_valid_utf8(cell.bytes)) {
          return "column '" + columns_[i] + "' holds text that is not valid UTF-8";
        }
        values_[i] = Value::string(cell.bytes);
        break;
      case CellType::kBlob:
        if (binary_ == BinaryText::kBase64) {
          append_base64(cell.bytes, buffer);
        } else {
          append_hex(cell.bytes, buffer);
        }
        values_[i] = Value::string(buffer);
        break;
      case CellType::kDecimal:
        if (!decimal_as_json_number(cell.bytes, buffer)) {
          return "column '" + columns_[i] + "' holds a decimal that is not a number (NaN or an " +
                 "infinity), which JSON cannot carry";
        }
        values_[i] = Value::number(buffer);
        break;
      case CellType::kBool:
        values_[i] = Value::boolean(cell.integer != 0);
        break;
    }
  }
  return std::nullopt;
}

void format_real(double value, std::string& out) {
  std::array<char, 32> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.assign(digits.data(), end.ptr);
}

std::size_t next_code_point(std::string_view text, std::size_t at, std::uint32_t& code) {
  const auto c = static_cast<unsigned char>(text[at]);
  if (c < 0x80) {
    code = c;
    return 1;
  }
  // Leading byte: how many continuation bytes follow, and the smallest code point allowed for
  // that length (anything smaller is an overlong encoding).
  std::size_t extra = 0;
  std::uint32_t lowest = 0;
  if ((c & 0xe0) == 0xc0) {
    extra = 1;
    code = c & 0x1fu;
    lowest = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    extra = 2;
    code = c & 0x0fu;
    lowest = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    extra = 3;
    code = c & 0x07u;
    lowest = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - at <= extra) return 0;
  for (std::size_t k = 1; k <= extra; ++k) {
    const auto next = static_cast<unsigned char>(text[at + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3fu);
  }
  if (code < lowest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return extra + 1;
}

bool is_valid_utf8(std::string_view text) {
  std::uint32_t code = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {  // ASCII, most text: one byte at a time
      ++i;
      continue;
    }
    const std::size_t length = next_code_point(text, i, code);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace ferry::connectors::sqlite_query
