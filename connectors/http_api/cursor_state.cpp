#include "connectors/http_api/cursor_state.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ferry::connectors::http_api {

CursorState parse_cursor_state(std::string_view text) {
  CursorState state;
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object()) return state;
  const auto text_of = [&](std::string_view key) {
    const auto* value = parsed.as_object().if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  state.cursor = text_of("cursor");
  state.full_at = text_of("full_at");
  return state;
}

std::string format_cursor_state(const CursorState& state) {
  boost::json::object object;
  object["cursor"] = state.cursor;
  object["full_at"] = state.full_at;
  return boost::json::serialize(object);
}

}  // namespace ferry::connectors::http_api
