// Erasure (the right to be forgotten) at ferry-tenant: the lines of an `erase` batch, and the test
// of a row against the tokens of erased subjects. Used by TenantStore to purge stored rows and to
// keep later rows of an erased subject out.
//
// A row carries a token when one of its JSON string values, at any depth, is the token, or holds
// it as one element of a comma-separated list (a `list: true` field: "p1.a,p1.b"). Tokens are
// compared byte for byte; a line that is not JSON carries none.
//
// Pure functions over memory: no I/O, no state, safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::tenant {

// Tokens of erased subjects; std::less<> so a std::string_view finds a std::string.
using TokenSet = std::set<std::string, std::less<>>;

// One line of an erase batch: {"domain": D, "token": T}.
struct ErasedToken {
  std::string domain;
  std::string token;
};

// Parses the JSON Lines of an erase batch (blank lines are skipped). kInvalidArgument naming the
// line when a line is not an object with a non-empty string "domain" and a non-empty string
// "token" without a comma: an empty token would match every empty field, and a token with a comma
// could never match a list element.
Result<std::vector<ErasedToken>> parse_erase_lines(std::string_view plaintext);

// True when `line` (one JSON object, with or without its newline) carries a token of `tokens`.
bool carries_token(std::string_view line, const TokenSet& tokens);

// Appends to `kept` every line of `text` (newlines included, bytes unchanged) that carries no token
// of `tokens`, and returns how many lines it left out.
std::uint64_t keep_lines_without_tokens(std::string_view text, const TokenSet& tokens,
                                        std::string& kept);

}  // namespace ferry::tenant
