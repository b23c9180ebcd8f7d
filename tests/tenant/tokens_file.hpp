// The tokens file of `ferry-tenant serve --tokens`: which bearer token opens the door for which
// agent and tenant (SPEC section 7).
//
//   # comment
//   <agent_id> <tenant_id> <token>
//
// Fields are separated by spaces or tabs; `#` starts a comment anywhere on a line; blank lines are
// ignored. An agent may have several lines (a token being rotated). Agent ids become folder names
// under the output directory, so they must be safe path parts (see path_part.hpp).
//
// A Tokens object is immutable once parsed; safe to read from any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::tenant {

struct TokenEntry {
  std::string agent_id;
  std::string tenant_id;
  std::string token;
};

class Tokens {
 public:
  // Parses the text of a tokens file; `name` prefixes errors ("tokens.txt:3: ...").
  static Result<Tokens> parse(std::string_view text, std::string_view name);
  static Result<Tokens> load(const std::filesystem::path& path);

  // The entry whose token equals `token` (compared in constant time against every entry).
  std::optional<TokenEntry> find(std::string_view token) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<TokenEntry> entries_;
};

}  // namespace ferry::tenant
