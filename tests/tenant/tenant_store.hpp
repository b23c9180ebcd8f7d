// TenantStore: what ferry-tenant holds on disk (SPEC section 7) and its de-duplication state.
//
//   DIR/tenant.db                          SQLite (WAL, synchronous=FULL): per (agent_id, spool_id)
//                                          the settled seq, every batch (stored or rejected), the
//                                          gaps, the committed size of every output file, and
//                                          every erased token per agent
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
// Erasure: an erase batch removes every line carrying one of its tokens (erased_tokens.hpp) from
// each rows file of its agent, without giving up exactly once. A purge rewrites a file, so it
// cannot append at the committed size; it goes through a side file instead:
//   1. Append the erase lines to erase.jsonl as any batch is appended (not yet committed).
//   2. For each rows file of the agent holding a matching line within its committed size, write
//      the other lines (bytes unchanged) to <file>.purge and fsync it; then fsync each folder that
//      got a .purge, so the side file's name is as durable as its content. A file with no match
//      gets no .purge.
//   3. One transaction: the batch, the erased tokens, erase.jsonl's new committed size, and as each
//      purged file's new committed size the size of its .purge.
//   4. Rename each .purge over its file, then fsync the folders.
// Recovery (open(), before the tails are truncated, and before the next store() when step 4
// failed in this process): a <file>.purge whose size equals <file>'s committed size is renamed over
// it (the commit happened, the rename did not); any other .purge is deleted (the commit never
// happened). Why the sizes tell the two apart: a .purge exists only when at least one line was
// removed, and every line holds at least its newline, so before the commit its size is strictly
// below the committed size; the commit makes the two equal; and nothing changes that file's
// committed size before the rename is done (one thread; a failed rename sets a flag that makes the
// next store() finish it first). A purge that removed nothing would be indistinguishable (equal
// sizes without a commit), which is why it writes no .purge; renaming such a copy would be
// harmless anyway, its bytes being the committed ones. A stale .purge deleted at recovery never
// comes back: the folder is fsync'd after the delete, and a later purge of the same file truncates
// its .purge first. An erase batch that crashed before step 3 is sent again by the agent and
// purges again; one sent twice purges nothing the second time.
//
// Key rotation: a rekey batch (maps old token -> new token, token_maps.hpp) is applied the same
// way, atomically: its lines are appended to DIR/<agent_id>/rekey.jsonl, and each rows file holding
// an old token within its committed size is rewritten, its tokens replaced, into <file>.purge;
// then one transaction, then the renames. Recovery keeps its rule, and it stays safe although a
// rewrite may keep a file's size (p1 -> p2 tokens are as long): such a .purge, renamed at
// recovery without its commit, holds the committed rows with the maps applied, and the batch,
// never acknowledged, comes again and applies nothing more (no old token is left). A rewrite that
// grows the file (p9 -> p10) is deleted at recovery, as an uncommitted purge is.
//
// Re-key requests (docs/protocol.md, "Re-key requests"): every stored rekey batch owes its agent a
// sweep, recorded in tenant.db in the batch's own transaction (table rekey_sweeps: per agent the
// highest key_version of its rekey batches, how many were stored, and how many a finished sweep
// came after). The session asks the agent for maps of the old pseudonyms still held
// (pseudonyms_below) and settles the sweep once every part was answered; a sweep cut short (the
// connection lost, the tenant restarted) is still owed and starts again after the next welcome.
//
// Erased tokens stay in memory per agent (loaded at open()); a later rows batch of that agent has
// every line carrying one of them left out before it is appended (counted, never logged by value).
// An agent without erasures pays nothing: its lines are not parsed.
//
// Ownership and threading: the store owns its database connection and is used from one thread
// (the server's io_context thread). Every call blocks on disk I/O and fsync.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"
#include "common/frame/frame.hpp"
#include "common/sqlite/database.hpp"
#include "tests/tenant/erased_tokens.hpp"

namespace ferry::tenant {

class TenantStore {
 public:
  // Opens (creating when missing) DIR and DIR/tenant.db, and truncates every output file to its
  // committed size, after finishing or dropping purges a crash interrupted.
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

  // kInvalidArgument when the decrypted payload cannot be stored: not exactly header.rows lines
  // each one JSON object (check_json_lines), or an erase line that is not {"domain":D,"token":T}
  // (parse_erase_lines). The message is the nack reason.
  static Result<void> check_payload(const frame::Header& header, std::string_view plaintext);

  // Appends the decrypted JSON Lines of the next batch (place() said kNext) and settles its seq,
  // as described above. A payload not ending in a newline gets one, so batches never share a line.
  // A rows batch leaves out lines carrying an erased token of its agent; an erase batch also
  // purges the agent's rows files and records its tokens.
  Result<void> store(const frame::Header& header, std::string_view plaintext);

  // Records the batch (the next one) as rejected with `reason` and settles its seq.
  Result<void> reject(const frame::Header& header, std::string_view reason);

  // Records a loss reported by the agent and settles seqs up to `to_seq`. Returns the settled seq
  // before the gap (so the caller can report seqs the gap leaves unexplained).
  Result<std::uint64_t> record_gap(std::string_view agent_id, std::string_view spool_id,
                                   std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                                   std::string_view reason);

  // A sweep the agent's stored rekey batches still owe: the key version to map old pseudonyms
  // to, and the count of rekey batches it answers for (settle_rekey_sweep). Nullopt: none owed.
  struct RekeySweep {
    std::uint32_t version = 0;
    std::uint64_t stored = 0;
  };
  Result<std::optional<RekeySweep>> rekey_sweep_owed(std::string_view agent_id);
  // The sweep begun with `sweep` is done: owed again only once another rekey batch is stored.
  Result<void> settle_rekey_sweep(std::string_view agent_id, const RekeySweep& sweep);
  // The distinct pseudonym tokens (p) of a key version below `version` in the agent's rows files,
  // within their committed sizes, sorted. Memory: the tokens found.
  Result<std::vector<std::string>> pseudonyms_below(std::string_view agent_id,
                                                    std::uint32_t version);

  // Appends one line (a command_result as JSON) to DIR/<agent_id>/commands.jsonl, fsync'd.
  Result<void> append_command_result(std::string_view agent_id, std::string_view json);

  const std::filesystem::path& out_dir() const { return out_dir_; }

 private:
  TenantStore(std::filesystem::path out_dir, sqlite::Database db)
      : out_dir_(std::move(out_dir)), db_(std::move(db)) {}

  // An output file (relative to the output directory) and its size to commit.
  struct FileSize {
    std::string relative;
    std::uint64_t size = 0;
  };
  // A rows file rewritten without the erased lines into <file>.purge, not yet renamed.
  struct Purge {
    std::string relative;
    std::uint64_t size = 0;  // of the .purge: the file's committed size once the erase commits
    std::uint64_t rows_removed = 0;
  };

  Result<void> repair_tails();
  Result<void> finish_purges();
  Result<void> load_erased();
  Result<std::uint64_t> committed_size(const std::string& relative);
  Result<void> ensure_dir(const std::filesystem::path& relative);
  // Appends `data` to `relative` at its committed size and fsyncs; returns the new size.
  Result<std::uint64_t> append_at_committed(const std::string& relative, std::string_view data,
                                            std::uint64_t committed);
  void drop_uncommitted(const std::string& relative, std::uint64_t committed);
  Result<void> record_batch(const frame::Header& header, std::string_view outcome,
                            std::string_view reason, std::span<const FileSize> files,
                            std::span<const ErasedToken> erased = {});
  Result<void> store_rows(const frame::Header& header, std::string_view plaintext);
  Result<void> store_erase(const frame::Header& header, std::string_view plaintext);
  Result<void> store_rekey(const frame::Header& header, std::string_view plaintext);
  // What a purge or a rewrite does to a line: true when the line changes, with its new bytes
  // (newline included) in `replacement`, left empty to remove it.
  using LineChange = std::function<bool(std::string_view line, std::string& replacement)>;
  // What an erase and a rekey batch share: appends the batch's lines to its own file, rewrites
  // the agent's rows files with `change` into side files, records the batch with every new size
  // ("N rows <what> M files"), calls `on_committed` and renames the side files.
  Result<void> rewrite_rows(
      const frame::Header& header, std::string_view plaintext, const LineChange& change,
      std::string_view what, std::span<const ErasedToken> erased,
      const std::function<void(std::uint64_t rows, std::size_t files)>& on_committed);
  // The agent's rows files and their committed sizes, by path.
  Result<std::vector<FileSize>> rows_files_of(std::string_view agent_id);
  Result<std::vector<Purge>> write_purges(const std::string& agent_id, const LineChange& change);
  // Purge::rows_removed counts the lines changed (removed or rewritten).
  Result<Purge> write_purge(const std::string& relative, std::uint64_t committed,
                            const LineChange& change);
  void drop_purges(const std::vector<Purge>& purges);
  Result<void> install_purges(const std::vector<Purge>& purges);

  std::filesystem::path out_dir_;
  sqlite::Database db_;
  // Erased tokens per agent_id, as recorded in tenant.db; agents without erasures are absent.
  std::map<std::string, TokenSet, std::less<>> erased_;
  // A purge committed but not renamed (or a stale .purge not deleted) in this process.
  bool purges_pending_ = false;
};

}  // namespace ferry::tenant
