#include "connectors/sqlite_query/row_values.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace ferry::connectors::sqlite_query {

RowConverter::RowConverter(std::vector<std::string> columns)
    : columns_(std::move(columns)), buffers_(columns_.size()), values_(columns_.size()) {}

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
      case CellType::kBlob: {
        static constexpr char kHex[] = "0123456789abcdef";
        buffer.resize(cell.bytes.size() * 2);
        for (std::size_t b = 0; b < cell.bytes.size(); ++b) {
          const auto byte = static_cast<unsigned char>(cell.bytes[b]);
          buffer[2 * b] = kHex[byte >> 4];
          buffer[2 * b + 1] = kHex[byte & 0x0f];
        }
        values_[i] = Value::string(buffer);
        break;
      }
    }
  }
  return std::nullopt;
}

void format_real(double value, std::string& out) {
  std::array<char, 32> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.assign(digits.data(), end.ptr);
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Leading byte: how many continuation bytes follow, and the smallest code point allowed for
    // that length (anything smaller is an overlong encoding).
    int extra = 0;
    std::uint32_t code = 0;
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
      return false;
    }
    if (n - i <= static_cast<std::size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3fu);
    }
    if (code < lowest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

}  // namespace ferry::connectors::sqlite_query
