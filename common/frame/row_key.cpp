#include "common/frame/row_key.hpp"

namespace ferry::frame {

std::optional<std::string_view> json_string_at(std::string_view text) {
  if (text.empty() || text.front() != '"') return std::nullopt;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;  // the escaped character (\" and \\ included); \uXXXX needs no more care here
    } else if (text[i] == '"') {
      return text.substr(0, i + 1);
    }
  }
  return std::nullopt;
}

namespace {

// The JSON value (a string, or a number, true, false, null) at the start of `text`.
std::optional<std::string_view> json_value_at(std::string_view text) {
  if (!text.empty() && text.front() == '"') return json_string_at(text);
  const std::size_t end = text.find(',');
  const std::string_view value = text.substr(0, end);
  if (value.empty() || value.find_first_of("\"{}[]:") != std::string_view::npos) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<std::vector<KeyPart>> composite_key_parts(std::string_view key) {
  const auto first = json_string_at(key);
  if (!first || first->size() == key.size() || key[first->size()] != ':') return std::nullopt;
  std::vector<KeyPart> parts;
  std::size_t at = 0;
  for (;;) {
    const auto name = json_string_at(key.substr(at));
    if (!name || at + name->size() >= key.size() || key[at + name->size()] != ':') {
      return std::nullopt;
    }
    at += name->size() + 1;
    const auto value = json_value_at(key.substr(at));
    if (!value) return std::nullopt;
    parts.push_back({*name, *value});
    at += value->size();
    if (at == key.size()) return parts;
    if (key[at] != ',') return std::nullopt;
    ++at;
  }
}

}  // namespace ferry::frame
