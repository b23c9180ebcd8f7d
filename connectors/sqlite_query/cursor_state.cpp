#include "connectors/sqlite_query/cursor_state.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include <boost/json.hpp>

namespace ferry::connectors::sqlite_query {
namespace {

constexpr std::string_view kFormat = "ferry-sql-cursor-1";

std::string real_to_text(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

bool text_to_real(std::string_view text, double& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

tl::unexpected<Error> corrupt(std::string_view stream, std::string_view what) {
  return make_error(ErrorCode::kCorrupt,
                    "saved read position of stream '{}' is damaged ({}): the agent cannot resume "
                    "from it; clear the source's state to read it again from the beginning",
                    stream, what);
}

Result<CursorValue> decode_value(std::string_view stream, const boost::json::object& entry) {
  const auto* type = entry.if_contains("type");
  const auto* value = entry.if_contains("value");
  if (type == nullptr || !type->is_string() || value == nullptr) {
    return corrupt(stream, "no type or value");
  }
  const std::string_view type_text = type->get_string();
  if (type_text == "integer" && value->is_int64()) return CursorValue::integer(value->get_int64());
  if (type_text == "real" && value->is_string()) {
    double real = 0;
    if (text_to_real(value->get_string(), real)) return CursorValue::real(real);
    return corrupt(stream, "real value does not parse");
  }
  if (type_text == "text" && value->is_string()) {
    return CursorValue::text(std::string(value->get_string()));
  }
  return corrupt(stream, "unknown type or a value that does not match it");
}

}  // namespace

Result<CursorState> decode_state(std::string_view text) {
  CursorState state;
  if (text.empty()) return state;
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(text, ec);
  const auto* object = ec ? nullptr : root.if_object();
  const auto* format = object == nullptr ? nullptr : object->if_contains("format");
  if (format == nullptr || !format->is_string() || format->get_string() != kFormat) {
    return state;  // not ours: start from the beginning
  }
  const auto* streams = object->if_contains("streams");
  if (streams == nullptr || !streams->is_object()) return corrupt("*", "no streams");
  for (const auto& [name, entry] : streams->get_object()) {
    const auto* fields = entry.if_object();
    const auto* column = fields == nullptr ? nullptr : fields->if_contains("column");
    if (column == nullptr || !column->is_string()) return corrupt(name, "no cursor column");
    auto value = decode_value(name, *fields);
    if (!value) return tl::unexpected(value.error());
    if (value->is_null()) return corrupt(name, "null value");
    state.emplace(std::string(name),
                  StreamCursor{std::string(column->get_string()), std::move(*value)});
  }
  return state;
}

std::string encode_state(const CursorState& state) {
  boost::json::object streams;
  for (const auto& [name, cursor] : state) {
    if (cursor.value.is_null()) continue;
    boost::json::object entry;
    entry["column"] = cursor.column;
    entry["type"] = type_name(cursor.value);
    if (const auto* integer = cursor.value.as_integer()) {
      entry["value"] = *integer;
    } else if (const auto* real = cursor.value.as_real()) {
      entry["value"] = real_to_text(*real);
    } else {
      entry["value"] = *cursor.value.as_text();
    }
    streams[name] = std::move(entry);
  }
  boost::json::object root;
  root["format"] = kFormat;
  root["streams"] = std::move(streams);
  return boost::json::serialize(root);
}

std::string encode_stream_state(const CursorState& state, std::string_view stream) {
  const auto found = state.find(stream);
  if (found == state.end() || found->second.value.is_null()) return "";
  return encode_state(CursorState{*found});
}

Result<CursorState> decode_resume_state(const ResumeState& resume) {
  auto state = decode_state(resume.source);
  if (!state) return state;
  for (const auto& [name, text] : resume.streams) {
    auto own = decode_state(text);
    if (!own) return own;
    if (auto found = own->find(name); found != own->end()) {
      state->insert_or_assign(name, found->second);
    }
  }
  return state;
}

}  // namespace ferry::connectors::sqlite_query
