#include "agent/policy/suppression.hpp"

#include <chrono>

#include <boost/json.hpp>

#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/fs/read_file.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::policy {
namespace {

constexpr std::string_view kFormat = "ferry-suppression-1";

// The file's entries, or an empty array when there is no file yet.
Result<boost::json::array> read_entries(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return boost::json::array();
  auto text = fs::read_small_file(path, 256u * 1024 * 1024);
  if (!text) return tl::unexpected(text.error());
  boost::system::error_code parse_error;
  boost::json::value doc = boost::json::parse(*text, parse_error);
  const boost::json::object* object = parse_error ? nullptr : doc.if_object();
  const boost::json::value* format = object ? object->if_contains("format") : nullptr;
  const boost::json::value* entries = object ? object->if_contains("entries") : nullptr;
  if (format == nullptr || !format->is_string() || format->get_string() != kFormat ||
      entries == nullptr || !entries->is_array()) {
    return make_error(ErrorCode::kCorrupt,
                      "{} is not a Ferry suppression list (\"format\": \"{}\" with \"entries\"); "
                      "restore it from a backup: it is what keeps erased subjects from being "
                      "sent again",
                      path_text(path), kFormat);
  }
  for (const auto& entry : entries->get_array()) {
    const auto* fields = entry.if_object();
    const auto* domain = fields ? fields->if_contains("domain") : nullptr;
    const auto* token = fields ? fields->if_contains("token") : nullptr;
    if (domain == nullptr || !domain->is_string() || token == nullptr || !token->is_string()) {
      return make_error(ErrorCode::kCorrupt,
                        "{}: an entry lacks a string \"domain\" or \"token\"; restore the file "
                        "from a backup",
                        path_text(path));
    }
  }
  return entries->get_array();
}

}  // namespace

Result<Suppression> Suppression::load(const std::filesystem::path& data_dir) {
  auto entries = read_entries(data_dir / kSuppressionFile);
  if (!entries) return tl::unexpected(entries.error());
  Suppression list;
  for (const auto& entry : *entries) {
    const auto& fields = entry.get_object();
    list.domains_.emplace(fields.at("domain").get_string());
    list.tokens_.emplace(fields.at("token").get_string());
  }
  return list;
}

Result<std::vector<SuppressedToken>> Suppression::list(const std::filesystem::path& data_dir) {
  auto entries = read_entries(data_dir / kSuppressionFile);
  if (!entries) return tl::unexpected(entries.error());
  std::vector<SuppressedToken> tokens;
  for (const auto& entry : *entries) {
    const auto& fields = entry.get_object();
    tokens.push_back({std::string(fields.at("domain").get_string()),
                      std::string(fields.at("token").get_string())});
  }
  return tokens;
}

Result<std::size_t> Suppression::add(const std::filesystem::path& data_dir,
                                     const std::vector<SuppressedToken>& tokens) {
  const std::filesystem::path path = data_dir / kSuppressionFile;
  auto entries = read_entries(path);
  if (!entries) return tl::unexpected(entries.error());
  std::set<std::pair<std::string, std::string>> known;
  for (const auto& entry : *entries) {
    const auto& fields = entry.get_object();
    known.emplace(fields.at("domain").get_string(), fields.at("token").get_string());
  }
  const std::string now = keys::format_rfc3339(std::chrono::system_clock::now());
  std::size_t added = 0;
  for (const SuppressedToken& token : tokens) {
    if (!known.emplace(token.domain, token.token).second) continue;
    entries->push_back(
        boost::json::object{{"domain", token.domain}, {"token", token.token}, {"erased_at", now}});
    ++added;
  }
  if (added == 0) return added;
  boost::json::object doc{{"format", kFormat}, {"entries", std::move(*entries)}};
  if (auto written = fs::write_file_atomically(path, boost::json::serialize(doc) + "\n",
                                               fs::Access::kOwnerOnly);
      !written) {
    return tl::unexpected(written.error());
  }
  return added;
}

}  // namespace ferry::policy
