#include "agent/app/erase.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "agent/policy/json_escape.hpp"
#include "agent/policy/normalize.hpp"
#include "agent/policy/suppression.hpp"
#include "common/crypto/tokens.hpp"
#include "common/frame/frame.hpp"

namespace ferry::app {

Result<std::vector<std::string>> subject_tokens(const keys::Keyring& keyring,
                                                std::string_view domain,
                                                std::span<const std::string> values) {
  if (!crypto::is_valid_domain(domain)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "domain '{}' is not valid (use lower-case letters, digits, '_', '.', '-')",
                      domain);
  }
  std::vector<std::string> tokens;
  std::string scratch;
  for (const keys::KeyVersion& key : keyring.versions()) {
    auto pseudonymizer = crypto::Pseudonymizer::create(key.secret, key.version, domain);
    if (!pseudonymizer) return tl::unexpected(pseudonymizer.error());
    auto hasher = crypto::Hasher::create(key.secret, key.version, domain);
    if (!hasher) return tl::unexpected(hasher.error());
    for (const std::string& value : values) {
      const std::string_view trimmed = policy::trim(value);
      if (trimmed.empty()) continue;
      const std::string lowered(policy::lower_ascii(trimmed, scratch));
      for (std::string_view form : {trimmed, std::string_view(lowered)}) {
        std::string token;
        if (auto made = pseudonymizer->pseudonymize(form, token); !made) {
          return tl::unexpected(made.error());
        }
        tokens.push_back(std::move(token));
        token.clear();
        if (auto made = hasher->hash(form, token); !made) return tl::unexpected(made.error());
        tokens.push_back(std::move(token));
      }
    }
  }
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  if (tokens.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "every value given is empty: an empty value has no token to erase");
  }
  return tokens;
}

Result<EraseOutcome> erase_subjects(const std::filesystem::path& data_dir, spool::Spool& spool,
                                    std::string_view domain, const std::vector<std::string>& tokens,
                                    const HoldSending& hold, std::uint32_t key_version,
                                    audit::AuditLog* audit) {
  EraseOutcome outcome;
  outcome.domain = std::string(domain);
  outcome.tokens = tokens.size();
  std::vector<policy::SuppressedToken> listed;
  for (const std::string& token : tokens) listed.push_back({std::string(domain), token});
  auto added = policy::Suppression::add(data_dir, listed);
  if (!added) return tl::unexpected(added.error());
  outcome.new_tokens = *added;

  spool::Erasure erasure;
  std::string lines;
  for (const std::string& token : tokens) {
    std::string key;
    policy::append_json_string(key, token);
    erasure.keys.push_back(key);
    lines.append(R"({"domain":)");
    policy::append_json_string(lines, domain);
    lines.append(R"(,"token":)").append(key).append("}\n");
  }
  auto compressed = frame::zstd_compress(lines, 3);
  if (!compressed) return tl::unexpected(compressed.error());
  erasure.batch.kind = "erase";
  erasure.batch.rows = tokens.size();
  erasure.batch.key_version = key_version;
  erasure.batch.compressed = std::move(*compressed);
  Result<spool::ErasureReport> report = make_error(ErrorCode::kInternal, "erase did not run");
  auto write = [&](std::uint64_t sent_through) {
    erasure.withhold_after = sent_through;
    report = spool.erase(erasure);
  };
  if (hold) {
    hold(write);
  } else {
    write(0);
  }
  if (!report) return tl::unexpected(report.error());
  outcome.spool = std::move(*report);
  if (audit != nullptr) {
    if (auto recorded = audit->append("erase", to_json(outcome)); !recorded) {
      outcome.audit_error = recorded.error().message;
    }
  }
  return outcome;
}

boost::json::object to_json(const EraseOutcome& outcome) {
  boost::json::array sources;
  for (const auto& source : outcome.spool.sources_reset) sources.emplace_back(source);
  return {{"domain", outcome.domain},
          {"tokens", outcome.tokens},
          {"new_tokens", outcome.new_tokens},
          {"erase_seq", outcome.spool.seq},
          {"digests_removed", outcome.spool.digests_removed},
          {"withheld_batches", outcome.spool.withheld_batches},
          {"withheld_rows", outcome.spool.withheld_rows},
          {"sources_reread", std::move(sources)}};
}

std::string describe(const boost::json::object& outcome) {
  auto number = [&](std::string_view key) -> std::uint64_t {
    const auto* value = outcome.if_contains(key);
    return value != nullptr && value->is_number() ? value->to_number<std::uint64_t>() : 0;
  };
  std::string text = fmt::format(
      "erased in domain {}: {} tokens on the suppression list ({} new), {} change-detection "
      "entries removed, erase batch seq {} queued for the tenant",
      outcome.contains("domain") ? std::string(outcome.at("domain").as_string()) : "?",
      number("tokens"), number("new_tokens"), number("digests_removed"), number("erase_seq"));
  if (number("withheld_batches") > 0) {
    std::string sources;
    if (const auto* list = outcome.if_contains("sources_reread"); list && list->is_array()) {
      for (const auto& source : list->get_array()) {
        if (!sources.empty()) sources += ", ";
        if (source.is_string()) sources += std::string(source.get_string());
      }
    }
    text += fmt::format("; {} unsent batches ({} rows) withheld, read again from: {}",
                        number("withheld_batches"), number("withheld_rows"), sources);
  }
  return text;
}

}  // namespace ferry::app
