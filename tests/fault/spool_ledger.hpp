// The spool-level oracle of the disk fault tests: a deterministic writer (commit n carries one
// batch whose rows derive from n, a digest for key "k<n>" and the source state "n"; acks delete
// the oldest batches, as a tenant would) and a ledger of what the spool acknowledged to it. After a
// fault, check() compares the reopened spool with the ledger: every batch whose commit returned
// and that was not acked since is there with the same content, the source state and digests are
// those of the last acknowledged commit (or of the one in flight, all of it or nothing), no seq is
// given twice, and no batch appears that was never written. It returns the problems it finds,
// each a sentence, so that a negative control can count them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/spool/spool.hpp"
#include "common/crypto/bytes.hpp"

namespace ferry::test {

// A test spool at `folder`/spool.db, sealed to `tenant_public_key`.
spool::Options ledger_spool_options(const std::filesystem::path& folder,
                                    const crypto::Bytes& tenant_public_key);
// `PRAGMA integrity_check` of a database file as a new connection sees it: "ok" when sound.
std::string integrity_of(const std::filesystem::path& database);

class SpoolLedger {
 public:
  explicit SpoolLedger(crypto::SecureBytes tenant_private_key)
      : private_key_(std::move(tenant_private_key)) {}

  // The rows of commit n: a few kilobytes that zstd cannot shrink much, derived from n.
  static std::string rows_of(std::uint64_t n);

  // Writes until the spool refuses (the power is off, or a fault) or `steps` are done: commit,
  // and every third step (or when more than 16 wait) an ack of the oldest batch. Returns false when
  // the spool refused.
  bool write(spool::Spool& spool, int steps);
  // Acks the oldest batch held, as a tenant's ack would; false when the spool refused.
  bool ack_oldest(spool::Spool& spool);

  // The reopened spool against the ledger; afterwards the ledger follows what the spool holds
  // (a commit in flight that did reach the disk counts as acknowledged from then on).
  std::vector<std::string> check(spool::Spool& spool);

  std::uint64_t commits_acknowledged() const { return acknowledged_commits_; }
  // Why the spool last refused a commit or an ack.
  const std::string& last_error() const { return last_error_; }

 private:
  crypto::SecureBytes private_key_;
  std::uint64_t next_n_ = 1;
  std::map<std::uint64_t, std::uint64_t> held_;  // seq -> n: acknowledged, not acked by a tenant
  std::set<std::uint64_t> acked_;                // seqs whose ack returned
  std::optional<std::uint64_t> in_flight_;       // n of a commit that did not return
  std::optional<std::uint64_t> ack_in_flight_;   // seq of an ack that did not return
  std::uint64_t state_ = 0;                      // n of the last acknowledged commit
  std::uint64_t max_seq_ = 0;
  std::uint64_t acknowledged_commits_ = 0;
  std::string last_error_;
};

}  // namespace ferry::test
