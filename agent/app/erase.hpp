// The right to be forgotten (`ferry erase`), done by whichever process owns the data_dir: the
// running agent (asked over its control socket) or the command itself.
//
// In order: the subject's tokens join the suppression list (durable first, so no later run spools
// them); then one spool transaction removes their change-detection entries, withholds unsent row
// batches (the agent cannot open them to take the subject out, so they are not sent and their
// sources are read again), and appends an `erase` batch that tells the tenant to delete what it
// holds. Runs already reading see the erasure at their next commit and start again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "agent/control/replies.hpp"
#include "agent/spool/spool.hpp"
#include "common/audit/audit_log.hpp"
#include "common/config/settings.hpp"
#include "common/env/user.hpp"
#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::app {

// Every token that can stand for `values` in `domain`: pseudonymize and hash, under every key
// version, of each value trimmed and also lower-cased (a policy may say normalize: lower).
// Sorted, without repeats.
Result<std::vector<std::string>> subject_tokens(const keys::Keyring& keyring,
                                                std::string_view domain,
                                                std::span<const std::string> values);

struct EraseOutcome {
  std::string domain;
  std::size_t tokens = 0;      // tokens given
  std::size_t new_tokens = 0;  // of those, not on the suppression list before
  spool::ErasureReport spool;
  std::string audit_error;  // "" when the audit log recorded the erasure
};

// Runs its argument while no batch can start on its way to the tenant, passing the highest seq
// that may be on its way already (uplink::Uplink::hold_sending). Empty when nothing is being
// delivered: then every unsent batch is withheld.
using HoldSending = std::function<void(const std::function<void(std::uint64_t sent_through)>&)>;

// Only the spool transaction runs under `hold`. Records an "erase" entry in `audit` when given,
// with `caller` (the uid of the user who asked) as its `uid` (a failure there is reported in the
// outcome; the erasure stands).
Result<EraseOutcome> erase_subjects(const std::filesystem::path& data_dir, spool::Spool& spool,
                                    std::string_view domain, const std::vector<std::string>& tokens,
                                    const HoldSending& hold, std::uint32_t key_version,
                                    audit::AuditLog* audit, const env::UserId& caller);

// The outcome as the control socket's answer and the audit entry carry it: counts, seqs and
// source names; never a token's value.
control::EraseReply to_reply(const EraseOutcome& outcome);

// No agent runs: this process takes the data_dir (kUnavailable when an agent holds it after all),
// opens the spool and the audit log, and erases. Nothing is being delivered, so every unsent row
// batch is withheld; the erase batch goes out with the next delivery. The audit entry records the
// uid this process runs as.
Result<control::EraseReply> erase_without_agent(const config::Settings& settings,
                                                const keys::Keyring& keyring,
                                                std::string_view domain,
                                                const std::vector<std::string>& tokens);

}  // namespace ferry::app
