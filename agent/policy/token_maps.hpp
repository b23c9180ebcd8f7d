// Re-key maps seen in rows (docs/key-rotation.md): after a key rotation, a hash token cannot be
// turned into its new version without the value it stands for, and a pseudonym outside a key
// field is known only where a row carries it, so the first run of each source under the new key
// maps every such token it writes, old version to new, as it writes it.
// TokenMaps collects those maps once each: the old token's 64-bit fingerprint is remembered for
// the rest of the run (8 bytes a value: a million distinct values cost 8 MiB), so a value seen
// in many rows is mapped once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ferry::policy {

// One line of a rekey batch (SPEC section 5, kind "rekey").
struct TokenMap {
  std::string domain;
  std::string old_token;
  std::string new_token;
};

class TokenMaps {
 public:
  // Records the map unless this old token was mapped before in this run.
  void add(std::string_view domain, std::string_view old_token, std::string_view new_token);
  // The maps recorded since the last take(), oldest first.
  std::vector<TokenMap> take();
  bool has_pending() const { return !pending_.empty(); }

 private:
  std::unordered_set<std::uint64_t> seen_;
  std::vector<TokenMap> pending_;
};

// The JSON line of a map: {"domain":D,"old":T,"new":T} (no newline).
void append_map_line(std::string& out, const TokenMap& map);

}  // namespace ferry::policy
