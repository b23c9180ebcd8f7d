#include "agent/app/erase.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "agent/app/data_dir_lock.hpp"
#include "agent/app/spool_options.hpp"
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
                                    audit::AuditLog* audit, const env::UserId& caller) {
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
    boost::json::object entry = control::to_json(to_reply(outcome));
    entry["uid"] = caller;
    // What was erased, by its tokens (pseudonyms: never the values), so the record names it.
    boost::json::array erased;
    for (const std::string& token : tokens) erased.emplace_back(token);
    entry["erased_tokens"] = std::move(erased);
    if (auto recorded = audit->append("erase", std::move(entry)); !recorded) {
      outcome.audit_error = recorded.error().message;
    }
  }
  return outcome;
}

control::EraseReply to_reply(const EraseOutcome& outcome) {
  control::EraseReply reply;
  reply.domain = outcome.domain;
  reply.tokens = outcome.tokens;
  reply.new_tokens = outcome.new_tokens;
  reply.erase_seq = outcome.spool.seq;
  reply.digests_removed = outcome.spool.digests_removed;
  reply.withheld_batches = outcome.spool.withheld_batches;
  reply.withheld_rows = outcome.spool.withheld_rows;
  reply.sources_reread = outcome.spool.sources_reset;
  reply.audit_error = outcome.audit_error;
  return reply;
}

Result<control::EraseReply> erase_without_agent(const config::Settings& settings,
                                                const keys::Keyring& keyring,
                                                std::string_view domain,
                                                const std::vector<std::string>& tokens) {
  auto lock = DataDirLock::acquire(settings.agent.data_dir);
  if (!lock) return tl::unexpected(lock.error());
  spool::OpenReport opened;
  auto spool = spool::Spool::open(spool_options(settings), opened);
  if (!spool) return tl::unexpected(spool.error());
  auto audit_log = audit::AuditLog::open(
      settings.agent.data_dir,
      std::chrono::duration_cast<std::chrono::seconds>(settings.agent.audit_retention));
  // Nothing is being delivered: every unsent row batch is withheld.
  auto outcome =
      erase_subjects(settings.agent.data_dir, **spool, domain, tokens, {}, keyring.active_version(),
                     audit_log ? audit_log->get() : nullptr, env::current_user());
  if (!outcome) return tl::unexpected(outcome.error());
  if (!audit_log) outcome->audit_error = audit_log.error().message;
  return to_reply(*outcome);
}

}  // namespace ferry::app
