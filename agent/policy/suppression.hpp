// The suppression list of `ferry erase`: <data_dir>/suppression.json, the tokens of erased subjects
// per domain. A row whose pseudonymize or hash output in a listed domain is one of these tokens is
// never spooled again (CompiledPolicy checks as it writes the token).
//
// It holds tokens, never the values they stand for. It lives beside the spool, not in it: a spool
// moved aside as damaged, or deleted, must not bring an erased subject back.
//
//   {"format": "ferry-suppression-1",
//    "entries": [{"domain": "user", "token": "p1.AbC...", "erased_at": "2026-12-02T10:00:00Z"}]}
//
// Written atomically (temporary file, fsync, rename) by the one process that owns the data_dir;
// read at the start of every source run.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::policy {

inline constexpr std::string_view kSuppressionFile = "suppression.json";

struct SuppressedToken {
  std::string domain;
  std::string token;
};

class Suppression {
 public:
  // An empty list when the file does not exist yet.
  static Result<Suppression> load(const std::filesystem::path& data_dir);
  // Every entry, in file order.
  static Result<std::vector<SuppressedToken>> list(const std::filesystem::path& data_dir);
  // Adds the tokens not listed yet and rewrites the file; returns how many were new.
  static Result<std::size_t> add(const std::filesystem::path& data_dir,
                                 const std::vector<SuppressedToken>& tokens);

  bool empty() const { return tokens_.empty(); }
  std::size_t size() const { return tokens_.size(); }
  // Whether any token of `domain` is listed (a field in another domain needs no check).
  bool covers(std::string_view domain) const { return domains_.find(domain) != domains_.end(); }
  bool contains(std::string_view token) const { return tokens_.find(token) != tokens_.end(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::set<std::string, std::less<>> domains_;
  std::unordered_set<std::string, Hash, std::equal_to<>> tokens_;
};

}  // namespace ferry::policy
