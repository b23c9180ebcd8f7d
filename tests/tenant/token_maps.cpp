#include "tests/tenant/token_maps.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace ferry::tenant {
namespace {

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<TokenMapLine>> parse_rekey_lines(std::string_view plaintext) {
  std::vector<TokenMapLine> maps;
  std::size_t number = 0;
  while (!plaintext.empty()) {
    const std::size_t newline = plaintext.find('\n');
    const std::string_view line = plaintext.substr(0, newline);
    plaintext.remove_prefix(newline == std::string_view::npos ? plaintext.size() : newline + 1);
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    boost::system::error_code error;
    const boost::json::value value = boost::json::parse(line, error);
    const boost::json::object* object = error ? nullptr : value.if_object();
    const auto text = [&](std::string_view name) -> std::string_view {
      const boost::json::value* field = object ? object->if_contains(name) : nullptr;
      return field && field->is_string() ? std::string_view(field->get_string()) : "";
    };
    TokenMapLine map{std::string(text("domain")), std::string(text("old")),
                     std::string(text("new"))};
    if (map.domain.empty() || !is_token(map.old_token) || !is_token(map.new_token)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "rekey line {} is not {{\"domain\": D, \"old\": TOKEN, \"new\": TOKEN}}",
                        number);
    }
    maps.push_back(std::move(map));
  }
  return maps;
}

std::uint64_t rewrite_tokens(std::string_view line, const TokenMapping& mapping,
                             std::string& out) {
  std::uint64_t replaced = 0;
  std::size_t copied = 0;  // line[0, copied) is in `out`
  std::size_t i = 0;
  while (i < line.size()) {
    if (!is_token_char(line[i]) || i == 0 || (line[i - 1] != '"' && line[i - 1] != ',')) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < line.size() && is_token_char(line[end])) ++end;
    if (end < line.size() && (line[end] == '"' || line[end] == ',')) {
      const auto found = mapping.find(std::string(line.substr(i, end - i)));
      if (found != mapping.end()) {
        out.append(line.substr(copied, i - copied));
        out.append(found->second);
        copied = end;
        ++replaced;
      }
    }
    i = end;
  }
  out.append(line.substr(copied));
  return replaced;
}

}  // namespace ferry::tenant
