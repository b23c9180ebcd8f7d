// Key rotation at ferry-tenant (docs/key-rotation.md): the lines of a `rekey` batch, and the
// rewrite of a stored row with its old tokens replaced by the new ones.
//
// A token is found where erased_tokens.hpp finds one: as a whole JSON string value, or as one
// element of a comma-separated list inside one ("p1.a,p1.b"). Tokens hold only [A-Za-z0-9._-],
// which JSON never escapes, so a row's bytes can be rewritten in place of parsing it: each run of
// those characters that a quote or a comma opens and a quote or a comma closes is looked up.
//
// Pure functions over memory: no I/O, no state, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::tenant {

// One line of a rekey batch: {"domain": D, "old": T, "new": T}.
struct TokenMapLine {
  std::string domain;
  std::string old_token;
  std::string new_token;
};

// old token -> new token.
using TokenMapping = std::unordered_map<std::string, std::string>;

// Parses the JSON Lines of a rekey batch (blank lines are skipped). kInvalidArgument naming the
// line when a line is not an object with non-empty string "domain", "old" and "new", or when a
// token holds a character tokens never hold.
Result<std::vector<TokenMapLine>> parse_rekey_lines(std::string_view plaintext);

// Appends `line` to `out` with every token of `mapping` replaced; returns how many were.
std::uint64_t rewrite_tokens(std::string_view line, const TokenMapping& mapping, std::string& out);

}  // namespace ferry::tenant
