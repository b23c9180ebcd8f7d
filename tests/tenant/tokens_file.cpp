#include "tests/tenant/tokens_file.hpp"

#include <set>

#include "common/crypto/bytes.hpp"
#include "common/fs/secret_file.hpp"
#include "tests/tenant/path_part.hpp"

namespace ferry::tenant {
namespace {

// A tokens file lists one line per agent: a megabyte is thousands of agents.
constexpr std::size_t kMaxTokensFileBytes = 1024 * 1024;

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t' || line[at] == '\r')) ++at;
    std::size_t end = at;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    if (end > at) fields.push_back(line.substr(at, end - at));
    at = end;
  }
  return fields;
}

}  // namespace

Result<Tokens> Tokens::parse(std::string_view text, std::string_view name) {
  Tokens tokens;
  std::set<std::string, std::less<>> seen;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto fields = fields_of(line);
    if (fields.empty()) continue;
    if (fields.size() != 3) {
      return make_error(ErrorCode::kConfig,
                        "{}:{}: expected '<agent_id> <tenant_id> <token>', found {} field{}", name,
                        line_number, fields.size(), fields.size() == 1 ? "" : "s");
    }
    if (!is_safe_path_part(fields[0])) {
      return make_error(ErrorCode::kConfig,
                        "{}:{}: agent id '{}' is not usable as a folder name (use letters, digits, "
                        "'.', '_' and '-', and not '.' or '..')",
                        name, line_number, fields[0]);
    }
    if (seen.contains(fields[2])) {
      return make_error(ErrorCode::kConfig,
                        "{}:{}: this token is already given on an earlier line; each token must "
                        "name one agent",
                        name, line_number);
    }
    seen.emplace(fields[2]);
    tokens.entries_.push_back(
        TokenEntry{std::string(fields[0]), std::string(fields[1]), std::string(fields[2])});
  }
  if (tokens.entries_.empty()) {
    return make_error(ErrorCode::kConfig,
                      "{}: no tokens: add one line '<agent_id> <tenant_id> <token>' per agent",
                      name);
  }
  return tokens;
}

Result<Tokens> Tokens::load(const std::filesystem::path& path) {
  // The tokens open the door for agents: a secret file, held to the same rules as the key.
  auto text = fs::read_secret_file(path, kMaxTokensFileBytes, path.parent_path());
  if (!text) return tl::unexpected(text.error());
  return parse(*text, path.string());
}

std::optional<TokenEntry> Tokens::find(std::string_view token) const {
  std::optional<TokenEntry> found;
  for (const auto& entry : entries_) {
    // Look at every entry whatever matches, so the time taken does not depend on which matched.
    if (entry.token.size() == token.size() &&
        crypto::constant_time_equal(crypto::as_bytes(entry.token), crypto::as_bytes(token))) {
      found = entry;
    }
  }
  return found;
}

}  // namespace ferry::tenant
