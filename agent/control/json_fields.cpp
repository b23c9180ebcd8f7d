#include "agent/control/json_fields.hpp"

namespace ferry::control {

namespace json = boost::json;

std::uint64_t number_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return 0;
  if (const auto* u = value->if_uint64()) return *u;
  if (const auto* i = value->if_int64()) return *i < 0 ? 0 : static_cast<std::uint64_t>(*i);
  return 0;
}

std::string text_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

const json::object& object_at(const json::object& object, std::string_view key) {
  static const json::object empty;
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_object() ? value->get_object() : empty;
}

json::value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return json::value(text);
}

}  // namespace ferry::control
