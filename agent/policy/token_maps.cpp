#include "agent/policy/token_maps.hpp"

#include <functional>

#include "agent/policy/json_escape.hpp"

namespace ferry::policy {

void TokenMaps::add(std::string_view domain, std::string_view old_token,
                    std::string_view new_token) {
  if (old_token == new_token) return;
  if (!seen_.insert(std::hash<std::string_view>{}(old_token)).second) return;
  pending_.push_back({std::string(domain), std::string(old_token), std::string(new_token)});
}

std::vector<TokenMap> TokenMaps::take() {
  std::vector<TokenMap> taken;
  taken.swap(pending_);
  return taken;
}

void append_map_line(std::string& out, const TokenMap& map) {
  out.append(R"({"domain":)");
  append_json_string(out, map.domain);
  out.append(R"(,"old":)");
  append_json_string(out, map.old_token);
  out.append(R"(,"new":)");
  append_json_string(out, map.new_token);
  out.push_back('}');
}

}  // namespace ferry::policy
