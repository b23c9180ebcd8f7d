// Rows as connectors hand them to the agent: one Value per column of the stream, in the order the
// stream declares its columns. Values are views into the connector's buffers, valid until the
// connector produces its next row; whoever keeps a value copies it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ferry::connectors {

enum class ValueType : std::uint8_t {
  kNull,    // SQL NULL; also a CSV field the connector knows to be absent
  kString,  // text, UTF-8
  kNumber,  // a number as text in JSON number syntax, e.g. "42" or "-3.5"
  kBool,    // "true" or "false"
};

struct Value {
  ValueType type = ValueType::kNull;
  std::string_view text;

  static constexpr Value null() { return {}; }
  static constexpr Value string(std::string_view text) { return {ValueType::kString, text}; }
  static constexpr Value number(std::string_view text) { return {ValueType::kNumber, text}; }
  static constexpr Value boolean(bool value) {
    return {ValueType::kBool, value ? std::string_view("true") : std::string_view("false")};
  }
  bool is_null() const { return type == ValueType::kNull; }
};

using RowView = std::span<const Value>;

// What a row means to the receiver.
enum class RowOp : std::uint8_t { kUpsert, kDelete };

}  // namespace ferry::connectors
