// Small text helpers shared by the configuration parsers (ASCII only, locale-independent).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::config {

constexpr bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Without leading and trailing white space.
std::string_view trim(std::string_view text);

std::string to_lower(std::string_view text);

// Splits on runs of white space; no empty parts.
std::vector<std::string_view> split_words(std::string_view text);

// Splits on `separator`, keeping empty parts ("a,,b" gives three).
std::vector<std::string_view> split(std::string_view text, char separator);

// True when every character is in [A-Za-z0-9] or in `extra`, and `text` is not empty.
bool is_name(std::string_view text, std::string_view extra, bool allow_upper = true);

// "a, b or c" for messages.
std::string join_choices(const std::vector<std::string>& items, std::string_view last = "or");

}  // namespace ferry::config
