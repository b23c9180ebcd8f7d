#include "tests/tenant/erased_tokens.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "tests/tenant/line_reader.hpp"

namespace ferry::tenant {
namespace {

namespace json = boost::json;

const json::string* non_empty_string(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) return nullptr;
  return &value->get_string();
}

// The text itself, or one element of it as a comma-separated list.
bool holds_token(std::string_view text, const TokenSet& tokens) {
  while (true) {
    const std::size_t comma = text.find(',');
    if (tokens.contains(text.substr(0, comma))) return true;
    if (comma == std::string_view::npos) return false;
    text.remove_prefix(comma + 1);
  }
}

bool value_carries(const json::value& value, const TokenSet& tokens) {
  switch (value.kind()) {
    case json::kind::string:
      return holds_token(value.get_string(), tokens);
    case json::kind::object:
      for (const auto& field : value.get_object()) {
        if (value_carries(field.value(), tokens)) return true;
      }
      return false;
    case json::kind::array:
      for (const auto& element : value.get_array()) {
        if (value_carries(element, tokens)) return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

Result<std::vector<ErasedToken>> parse_erase_lines(std::string_view plaintext) {
  std::vector<ErasedToken> erased;
  LineReader lines(plaintext);
  while (const auto line = lines.next()) {
    if (LineReader::is_blank(*line)) continue;
    boost::system::error_code ec;
    const json::value parsed = json::parse(*line, ec);
    const json::object* object = ec ? nullptr : parsed.if_object();
    const json::string* domain = object ? non_empty_string(*object, "domain") : nullptr;
    const json::string* token = object ? non_empty_string(*object, "token") : nullptr;
    if (domain == nullptr || token == nullptr || token->find(',') != json::string::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "erase line {} is not {{\"domain\":D,\"token\":T}} with a non-empty "
                        "domain and a non-empty token without commas",
                        lines.number());
    }
    erased.push_back({std::string(*domain), std::string(*token)});
  }
  return erased;
}

bool carries_token(std::string_view line, const TokenSet& tokens) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(line, ec);
  return !ec && value_carries(parsed, tokens);
}

std::uint64_t keep_lines_without_tokens(std::string_view text, const TokenSet& tokens,
                                        std::string& kept) {
  std::uint64_t left_out = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::size_t length = newline == std::string_view::npos ? text.size() : newline + 1;
    const std::string_view line = text.substr(0, length);
    text.remove_prefix(length);
    if (carries_token(line, tokens)) {
      ++left_out;
    } else {
      kept.append(line);
    }
  }
  return left_out;
}

}  // namespace ferry::tenant
