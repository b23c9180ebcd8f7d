#include "tests/tenant/token_maps.hpp"

#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace ferry::tenant {
namespace {

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

std::optional<std::uint32_t> pseudonym_version(std::string_view token) {
  if (token.size() < 3 || token.front() != 'p') return std::nullopt;
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos || dot == 1 || dot == token.size() - 1) return std::nullopt;
  std::uint32_t version = 0;
  const auto [end, error] = std::from_chars(token.data() + 1, token.data() + dot, version);
  if (error != std::errc{} || end != token.data() + dot) return std::nullopt;
  return version;
}

std::uint64_t rewrite_tokens(std::string_view line, const TokenMapping& mapping,
                             std::string& out) {
  std::uint64_t replaced = 0;
  std::size_t copied = 0;  // line[0, copied) is in `out`
  std::string key;
  for_each_token(line, [&](std::size_t at, std::string_view token) {
    key.assign(token);
    const auto found = mapping.find(key);
    if (found == mapping.end()) return;
    out.append(line.substr(copied, at - copied));
    out.append(found->second);
    copied = at + token.size();
    ++replaced;
  });
  out.append(line.substr(copied));
  return replaced;
}

}  // namespace ferry::tenant
