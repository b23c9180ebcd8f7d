// TenantStore: what ferry-tenant holds on disk (SPEC section 7) and its de-duplication state.
//
//   DIR/tenant.db                          SQLite (WAL, synchronous=FULL): per (agent_id, spool_id)
//                                          the settled seq, every batch (stored or rejected), the
//                                          gaps, and the committed size of every output file
//   DIR/<agent_id>/<source>/<stream>.jsonl rows of kind "rows", appended in seq order
//   DIR/<agent_id>/erase.jsonl             lines of kind "erase"
//   DIR/<agent_id>/commands.jsonl          command_result messages, one JSON object a line
//
// Exactly once across crashes: an output file is only ever appended to at its committed size
// (the size tenant.db recorded with the last batch committed into it). store() truncates the file
// to that size (dropping a tail written before a crash whose commit never happened), appends,
// fsyncs the file (and its folder when new), and only then records the batch_id, the new settled
// seq and the new committed size in one transaction. open() also truncates every file to its
// committed size, so a restarted tenant never shows rows it has not acknowledged.
//
// Ownership and threading: the store owns its database connection and is used from one thread
// (the server's io_context thread). Every call blocks on disk I/O and fsync.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error/error.hpp"
#include "common/frame/frame.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::tenant {

class TenantStore {
 public:
  // Opens (creating when missing) DIR and DIR/tenant.db, and truncates every output file to its
  // committed size.
  static Result<TenantStore> open(const std::filesystem::path& out_dir);

  // Every seq at or below this one of (agent_id, spool_id) is settled: stored, rejected or lost.
  // 0 for a spool never seen.
  Result<std::uint64_t> settled(std::string_view agent_id, std::string_view spool_id);

  enum class Order {
    kDuplicate,   // seq already settled, or batch_id known: ack it, store nothing
    kNext,        // seq is settled + 1: store (or reject) it
    kOutOfOrder,  // a seq further on: nack with retry
  };
  struct Placement {
    Order order = Order::kNext;
    std::uint64_t expected = 1;  // settled + 1
  };
  Result<Placement> place(const frame::Header& header);

  // kInvalidArgument when the header's kind, encoding, agent, source or stream cannot be stored
  // (an unknown kind, or a name that is not a safe path part); the message is the nack reason.
  static Result<void> check_storable(const frame::Header& header);

  // Appends the decrypted JSON Lines of the next batch (place() said kNext) and settles its seq,
  // as described above. A payload not ending in a newline gets one, so batches never share a line.
  Result<void> store(const frame::Header& header, std::string_view plaintext);

  // Records the batch (the next one) as rejected with `reason` and settles its seq.
  Result<void> reject(const frame::Header& header, std::string_view reason);

  // Records a loss reported by the agent and settles seqs up to `to_seq`. Returns the settled seq
  // before the gap (so the caller can report seqs the gap leaves unexplained).
  Result<std::uint64_t> record_gap(std::string_view agent_id, std::string_view spool_id,
                                   std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                                   std::string_view reason);

  // Appends one line (a command_result as JSON) to DIR/<agent_id>/commands.jsonl, fsync'd.
  Result<void> append_command_result(std::string_view agent_id, std::string_view json);

  const std::filesystem::path& out_dir() const { return out_dir_; }

 private:
  TenantStore(std::filesystem::path out_dir, sqlite::Database db)
      : out_dir_(std::move(out_dir)), db_(std::move(db)) {}

  Result<void> repair_tails();
  Result<std::uint64_t> committed_size(const std::string& relative);
  Result<void> ensure_dir(const std::filesystem::path& relative);
  Result<void> record_batch(const frame::Header& header, std::string_view outcome,
                            std::string_view reason, const std::string* file,
                            std::uint64_t file_size);

  std::filesystem::path out_dir_;
  sqlite::Database db_;
};

}  // namespace ferry::tenant
