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

#include <cstddef>
#include <cstdint>
#include <optional>
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

// Whether `c` may be part of a token.
inline bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Calls `found(offset, token)` for every place of `line` where a token may stand: a run of token
// characters that a quote or a comma opens and a quote or a comma closes (a whole JSON string, or
// one element of a list inside one). What is found need not be a token; the caller checks.
template <class Found>
void for_each_token(std::string_view line, Found&& found) {
  std::size_t i = 0;
  while (i < line.size()) {
    if (!is_token_char(line[i]) || i == 0 || (line[i - 1] != '"' && line[i - 1] != ',')) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < line.size() && is_token_char(line[end])) ++end;
    if (end < line.size() && (line[end] == '"' || line[end] == ',')) {
      found(i, line.substr(i, end - i));
    }
    i = end;
  }
}

// The key version of a pseudonym token ("p12.xxxx" -> 12); nullopt for anything else (hash
// tokens included).
std::optional<std::uint32_t> pseudonym_version(std::string_view token);

// Appends `line` to `out` with every token of `mapping` replaced; returns how many were.
std::uint64_t rewrite_tokens(std::string_view line, const TokenMapping& mapping, std::string& out);

}  // namespace ferry::tenant
