#include "agent/spool/spool.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <tuple>
#include <unordered_set>

#include <fmt/format.h>

#include "agent/spool/digest_runs.hpp"
#include "agent/spool/digest_store.hpp"
#include "common/frame/frame.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::spool {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches(
  seq INTEGER PRIMARY KEY,
  batch_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  stream TEXT NOT NULL,
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_unix INTEGER NOT NULL,
  rejected TEXT,
  frame BLOB NOT NULL);
CREATE TABLE gaps(
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  created_unix INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT 'spool full (when_full: drop_oldest)');
CREATE TABLE source_state(source TEXT PRIMARY KEY, state TEXT NOT NULL, updated_unix INTEGER NOT NULL);
)sql";

// Created with every spool, and in spools made before it existed when they are opened. One row
// per commit that carried change-detection entries (see digest_runs.hpp); `ord` orders them
// (oldest first) and survives a merge of several runs into one.
constexpr const char* kRunsSchema = R"sql(
CREATE TABLE IF NOT EXISTS digest_runs(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  ord INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  data BLOB NOT NULL);
)sql";

constexpr std::string_view kUpsertDigest =
    "INSERT INTO row_digests(source, stream, key, digest, seen_run) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(source, stream, key) DO UPDATE SET digest = excluded.digest, "
    "seen_run = excluded.seen_run";

// Spools made before digest_runs kept one digest_journal row per entry: what is left in it is
// applied to their row_digests table in the order it was written (DigestStore::migrate_rows then
// moves that into pages), and the table goes.
Result<void> migrate_journal(sqlite::Database& db) {
  auto exists = db.has_table("digest_journal");
  if (!exists) return tl::unexpected(exists.error());
  if (!*exists) return {};
  {
    auto select = db.prepare(
        "SELECT source, stream, key, digest, seen_run FROM digest_journal "
        "ORDER BY source, stream, key, id");
    auto upsert = db.prepare(kUpsertDigest);
    auto remove = db.prepare("DELETE FROM row_digests WHERE source = ? AND stream = ? AND key = ?");
    if (!select) return tl::unexpected(select.error());
    if (!upsert) return tl::unexpected(upsert.error());
    if (!remove) return tl::unexpected(remove.error());
    for (;;) {
      auto next = select->step();
      if (!next) return tl::unexpected(next.error());
      if (!*next) break;
      Result<void> ran;
      if (select->column_is_null(3)) {
        ran = remove->bind(1, select->column_text(0))
                  .bind(2, select->column_text(1))
                  .bind(3, select->column_text(2))
                  .run();
      } else {
        ran = upsert->bind(1, select->column_text(0))
                  .bind(2, select->column_text(1))
                  .bind(3, select->column_text(2))
                  .bind_blob(4, select->column_blob(3))
                  .bind(5, select->column_int(4))
                  .run();
      }
      if (!ran) return ran;
    }
  }
  return db.exec("DROP TABLE digest_journal");
}

// Brings a spool made by an earlier version up to this one's schema; a no-op on a current one.
Result<void> migrate(sqlite::Database& db) {
  // In the caller's transaction (a new spool's), or in one of its own.
  std::optional<sqlite::Transaction> txn;
  if (sqlite3_get_autocommit(db.handle()) != 0) {
    auto begun = sqlite::Transaction::begin(db);
    if (!begun) return tl::unexpected(begun.error());
    txn.emplace(std::move(*begun));
  }
  if (auto made = db.exec(kRunsSchema); !made) return made;
  if (auto made = db.exec(kDigestPagesSchema); !made) return made;
  if (auto migrated = migrate_journal(db); !migrated) return migrated;
  if (auto migrated = DigestStore::migrate_rows(db); !migrated) return migrated;
  auto columns = db.prepare("SELECT count(*) FROM pragma_table_info('gaps') WHERE name = 'reason'");
  if (!columns) return tl::unexpected(columns.error());
  auto row = columns->step();
  if (!row) return tl::unexpected(row.error());
  const bool has_reason = columns->column_int(0) > 0;
  columns->reset();
  if (!has_reason) {
    if (auto added = db.exec("ALTER TABLE gaps ADD COLUMN reason TEXT NOT NULL DEFAULT "
                             "'spool full (when_full: drop_oldest)'");
        !added) {
      return added;
    }
  }
  if (auto counted = db.exec("INSERT OR IGNORE INTO meta(key, value) VALUES ('erasures', '0')");
      !counted) {
    return counted;
  }
  // Everything above done, the spool is marked with this version's format.
  // (A no-op on a current spool: the start-up transaction then writes nothing.)
  auto mark = db.prepare("UPDATE meta SET value = ?1 WHERE key = 'format' AND value <> ?1");
  if (!mark) return tl::unexpected(mark.error());
  if (auto marked = mark->bind(1, kSpoolFormat).run(); !marked) return marked;
  return txn ? txn->commit() : Result<void>();
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// True when the file starts with SQLite's header: only then can it be a spool at all.
bool looks_like_sqlite(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

Result<void> configure(sqlite::Database& db) {
  // WAL + synchronous=FULL: a commit is durable when it returns. The cache is bounded so that
  // memory stays small whatever the spool's size. The busy timeout comes first: switching a new
  // file to WAL needs an exclusive lock, which a reader (a backup tool, a test) may hold briefly.
  // The WAL is checkpointed every 4,096 pages (16 MiB) rather than SQLite's 1,000: a first sync
  // writes hundreds of megabytes, and each checkpoint costs an fsync of the database.
  return db.exec(
      "PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
      "PRAGMA cache_size=-8192; PRAGMA foreign_keys=OFF; PRAGMA wal_autocheckpoint=4096;");
}

Result<std::string> create_schema(sqlite::Database& db) {
  auto spool_id = frame::new_uuid();
  if (!spool_id) return tl::unexpected(spool_id.error());
  auto txn = sqlite::Transaction::begin(db);
  if (!txn) return tl::unexpected(txn.error());
  if (auto made = db.exec(kSchema); !made) return tl::unexpected(made.error());
  if (auto made = migrate(db); !made) return tl::unexpected(made.error());
  auto insert = db.prepare("INSERT INTO meta(key, value) VALUES (?, ?)");
  if (!insert) return tl::unexpected(insert.error());
  const std::pair<std::string_view, std::string> rows[] = {
      {"format", std::string(kSpoolFormat)},
      {"spool_id", *spool_id},
      {"created_at", keys::format_rfc3339(std::chrono::system_clock::now())},
      {"next_seq", "1"},
      {"next_run", "1"},
      {"dropped_batches", "0"}};
  for (const auto& [key, value] : rows) {
    if (auto ran = insert->bind(1, key).bind(2, value).run(); !ran)
      return tl::unexpected(ran.error());
  }
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  return *spool_id;
}

// Reads the spool's identity, or says why the file is not a usable spool. kCorrupt means the
// file is damaged; kInvalidArgument means it is some other database.
Result<std::string> read_identity(sqlite::Database& db) {
  auto check = db.prepare("PRAGMA quick_check");
  if (!check) return tl::unexpected(check.error());
  auto row = check->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row || check->column_text(0) != "ok") {
    return make_error(ErrorCode::kCorrupt, "integrity check failed: {}",
                      *row ? std::string(check->column_text(0)) : "no answer");
  }
  // A database without a single table holds nothing: a spool whose creation was cut off (a kill
  // between the file's creation and the schema's commit). It is created again in place.
  auto objects = db.prepare("SELECT count(*) FROM sqlite_schema");
  if (!objects) return tl::unexpected(objects.error());
  auto counted = objects->step();
  if (!counted) return tl::unexpected(counted.error());
  if (objects->column_int(0) == 0) {
    return make_error(ErrorCode::kNotFound, "the spool's creation was interrupted");
  }
  auto meta = db.prepare("SELECT value FROM meta WHERE key = ?");
  if (!meta && meta.error().code != ErrorCode::kInternal) return tl::unexpected(meta.error());
  if (!meta) {
    return make_error(ErrorCode::kInvalidArgument,
                      "it is an SQLite database but not a Ferry spool");
  }
  auto format = meta->bind(1, std::string_view("format")).step();
  if (!format) return tl::unexpected(format.error());
  if (!*format ||
      (meta->column_text(0) != kSpoolFormat && meta->column_text(0) != kEarlierSpoolFormat)) {
    if (*format && meta->column_text(0).starts_with("ferry-spool-")) {
      return make_error(ErrorCode::kInvalidArgument,
                        "it is a Ferry spool of a newer version (\"{}\"; this version reads "
                        "\"{}\"): run the newer version, or restore the data_dir backup made "
                        "before the upgrade",
                        meta->column_text(0), kSpoolFormat);
    }
    return make_error(ErrorCode::kInvalidArgument,
                      "it is an SQLite database but not a Ferry spool (no \"{}\" format mark)",
                      kSpoolFormat);
  }
  meta->reset();
  auto id = meta->bind(1, std::string_view("spool_id")).step();
  if (!id) return tl::unexpected(id.error());
  if (!*id) return make_error(ErrorCode::kCorrupt, "the spool has no spool_id");
  return std::string(meta->column_text(0));
}

// Moves spool.db (and its -wal and -shm files) aside as spool.db.corrupt-<unix time>.
Result<std::filesystem::path> move_aside(const std::filesystem::path& path) {
  const std::string suffix = fmt::format(".corrupt-{}", now_unix());
  const std::filesystem::path target = path.string() + suffix;
  std::error_code ec;
  std::filesystem::rename(path, target, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot move the damaged spool {} aside: {}", path.string(),
                      ec.message());
  }
  for (const char* extra : {"-wal", "-shm"}) {
    const std::filesystem::path side = path.string() + extra;
    if (std::filesystem::exists(side, ec)) {
      std::filesystem::rename(side, target.string() + extra, ec);
    }
  }
  return target;
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::open(const Options& options, OpenReport& report) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(options.path, ec);
  if (exists && !looks_like_sqlite(options.path) &&
      std::filesystem::file_size(options.path, ec) > 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} is not a Ferry spool (not an SQLite database); it was left untouched: "
                      "move it away or choose another data_dir",
                      options.path.string());
  }
  if (exists) {
    auto db = sqlite::Database::open(options.path, sqlite::Database::Mode::kReadWrite);
    // Wait out another connection's brief lock (a backup tool, say) before judging the file.
    if (db) {
      if (auto waited = db->exec("PRAGMA busy_timeout=5000"); !waited) {
        return tl::unexpected(waited.error());
      }
    }
    Result<std::string> identity = db ? read_identity(*db) : tl::unexpected(db.error());
    if (identity && db) {
      if (auto configured = configure(*db); !configured) return tl::unexpected(configured.error());
      if (auto migrated = migrate(*db); !migrated) {
        return tl::unexpected(migrated.error());
      }
      return std::unique_ptr<Spool>(new Spool(options, std::move(*db), std::move(*identity)));
    }
    if (identity.error().code == ErrorCode::kInvalidArgument) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{}: {}; it was left untouched: move it away "
                        "or choose another data_dir",
                        options.path.string(), identity.error().message);
    }
    const bool interrupted = identity.error().code == ErrorCode::kNotFound;
    if (!interrupted && identity.error().code != ErrorCode::kCorrupt) {
      // Busy, unreadable, out of memory: nothing says the file is damaged, so it stays as it is.
      return make_error(identity.error().code,
                        "cannot open the spool {}: {}; it was left untouched",
                        options.path.string(), identity.error().message);
    }
    // Close it before it is created anew in place (an interrupted creation holds nothing) or
    // moved aside (damaged: kept for support; sources will re-read from the start).
    if (db)
      *db = sqlite::Database::open(":memory:", sqlite::Database::Mode::kReadWriteCreate).value();
    if (!interrupted) {
      auto moved = move_aside(options.path);
      if (!moved) return tl::unexpected(moved.error());
      report.corrupt_moved_to = *moved;
      report.corrupt_reason = identity.error().message;
    }
  }
  auto db = sqlite::Database::open(options.path, sqlite::Database::Mode::kReadWriteCreate);
  if (!db) return tl::unexpected(db.error());
  // Owner only, before the first write: SQLite gives the -wal and -shm files the same mode.
  std::filesystem::permissions(
      options.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  if (auto configured = configure(*db); !configured) return tl::unexpected(configured.error());
  auto spool_id = create_schema(*db);
  if (!spool_id) return tl::unexpected(spool_id.error());
  report.created = true;
  return std::unique_ptr<Spool>(new Spool(options, std::move(*db), std::move(*spool_id)));
}

Result<std::uint64_t> Spool::read_counter(std::string_view name) {
  auto select = db_.prepare("SELECT value FROM meta WHERE key = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, name).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return make_error(ErrorCode::kCorrupt, "spool: counter {} is missing", name);
  return static_cast<std::uint64_t>(std::stoull(std::string(select->column_text(0))));
}

Result<void> Spool::make_room(std::uint64_t needed) {
  auto used_query = db_.prepare("SELECT coalesce(sum(bytes), 0) FROM batches");
  if (!used_query) return tl::unexpected(used_query.error());
  auto row = used_query->step();
  if (!row) return tl::unexpected(row.error());
  auto used = static_cast<std::uint64_t>(used_query->column_int(0));
  used_query->reset();
  if (used + needed <= options_.max_bytes) return {};
  if (options_.when_full == config::WhenFull::kPause) {
    return make_error(ErrorCode::kFull,
                      "spool full ({} of {} bytes used): polling pauses until the tenant "
                      "acknowledges batches (nothing is lost)",
                      used, options_.max_bytes);
  }
  // drop_oldest: remove unsent row batches from the oldest on, recording the loss. An erase
  // batch is never dropped: it is what makes the tenant forget.
  auto oldest = db_.prepare(
      "SELECT seq, rows, bytes FROM batches WHERE rejected IS NULL AND kind = 'rows' AND seq > ? "
      "ORDER BY seq LIMIT 1");
  auto remove = db_.prepare("DELETE FROM batches WHERE seq = ?");
  if (!oldest) return tl::unexpected(oldest.error());
  if (!remove) return tl::unexpected(remove.error());
  std::uint64_t dropped = 0;
  const auto protected_through = static_cast<std::int64_t>(protected_through_.load());
  while (used + needed > options_.max_bytes) {
    oldest->bind(1, protected_through);
    auto found = oldest->step();
    if (!found) return tl::unexpected(found.error());
    if (!*found) {
      return make_error(
          ErrorCode::kFull,
          "spool full ({} of {} bytes used) and nothing left to drop (what is left is on "
          "its way to the tenant, or an erase batch)",
          used, options_.max_bytes);
    }
    const std::int64_t seq = oldest->column_int(0);
    const std::int64_t rows = oldest->column_int(1);
    const auto bytes = static_cast<std::uint64_t>(oldest->column_int(2));
    oldest->reset();
    if (auto ran = remove->bind(1, seq).run(); !ran) return ran;
    if (auto ran = insert_gap(static_cast<std::uint64_t>(seq), static_cast<std::uint64_t>(seq),
                              static_cast<std::uint64_t>(rows), kDroppedReason);
        !ran) {
      return ran;
    }
    used -= std::min(used, bytes);
    ++dropped;
  }
  auto total = read_counter("dropped_batches");
  if (!total) return tl::unexpected(total.error());
  return write_counter("dropped_batches", *total + dropped);
}

void Spool::protect_through(std::uint64_t seq) {
  std::uint64_t current = protected_through_.load();
  while (current < seq && !protected_through_.compare_exchange_weak(current, seq)) {
  }
}

Result<void> Spool::write_counter(std::string_view name, std::uint64_t value) {
  auto update = db_.prepare("UPDATE meta SET value = ? WHERE key = ?");
  if (!update) return tl::unexpected(update.error());
  return update->bind(1, std::to_string(value)).bind(2, name).run();
}

Result<void> Spool::insert_gap(std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                               std::string_view reason) {
  auto gap = db_.prepare(
      "INSERT INTO gaps(from_seq, to_seq, rows, created_unix, reason) VALUES (?, ?, ?, ?, ?)");
  if (!gap) return tl::unexpected(gap.error());
  return gap->bind(1, static_cast<std::int64_t>(from_seq))
      .bind(2, static_cast<std::int64_t>(to_seq))
      .bind(3, static_cast<std::int64_t>(rows))
      .bind(4, now_unix())
      .bind(5, reason)
      .run();
}

Result<std::vector<Gap>> Spool::gaps() {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare("SELECT from_seq, to_seq, rows, reason FROM gaps ORDER BY from_seq");
  if (!select) return tl::unexpected(select.error());
  std::vector<Gap> gaps;
  for (;;) {
    auto row = select->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    gaps.push_back({static_cast<std::uint64_t>(select->column_int(0)),
                    static_cast<std::uint64_t>(select->column_int(1)),
                    static_cast<std::uint64_t>(select->column_int(2)),
                    std::string(select->column_text(3))});
  }
  return gaps;
}

Result<std::vector<std::uint64_t>> Spool::commit(const Commit& commit) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  if (commit.erasures) {
    auto erasures = read_counter("erasures");
    if (!erasures) return tl::unexpected(erasures.error());
    if (*erasures != *commit.erasures) {
      return make_error(ErrorCode::kConflict,
                        "source '{}': a subject was erased while this run read its rows; the "
                        "run starts again with the new suppression list",
                        commit.source);
    }
  }
  std::vector<std::uint64_t> seqs;
  if (!commit.batches.empty()) {
    std::uint64_t needed = 0;
    for (const NewBatch& batch : commit.batches) needed += batch.compressed.size() + 512;
    if (auto room = make_room(needed); !room) return tl::unexpected(room.error());
    auto inserted = insert_batches(commit.batches, commit.source);
    if (!inserted) return tl::unexpected(inserted.error());
    seqs = std::move(*inserted);
  }
  if (!commit.digests.empty()) {
    std::vector<runs::Entry> entries;
    entries.reserve(commit.digests.size());
    for (const DigestUpdate& update : commit.digests) {
      runs::Entry& entry = entries.emplace_back();
      entry.op = update.digest ? runs::Op::kUpsert : runs::Op::kDelete;
      entry.run = commit.run;
      if (update.digest) entry.digest = *update.digest;
      entry.stream = update.stream;
      entry.key = update.key;
    }
    if (auto appended = append_run(commit.source, entries); !appended) {
      return tl::unexpected(appended.error());
    }
  }
  if (commit.state) {
    auto put = db_.prepare(
        "INSERT INTO source_state(source, state, updated_unix) VALUES (?, ?, ?) "
        "ON CONFLICT(source) DO UPDATE SET state = excluded.state, updated_unix = "
        "excluded.updated_unix");
    if (!put) return tl::unexpected(put.error());
    if (auto ran = put->bind(1, commit.source).bind(2, *commit.state).bind(3, now_unix()).run();
        !ran) {
      return tl::unexpected(ran.error());
    }
  }
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  if (!seqs.empty() && on_commit_) on_commit_();
  return seqs;
}

Result<std::vector<std::uint64_t>> Spool::insert_batches(const std::vector<NewBatch>& batches,
                                                         std::string_view source) {
  auto next_seq = read_counter("next_seq");
  if (!next_seq) return tl::unexpected(next_seq.error());
  auto insert = db_.prepare(
      "INSERT INTO batches(seq, batch_id, kind, source, stream, rows, bytes, created_unix, frame)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return tl::unexpected(insert.error());
  std::vector<std::uint64_t> seqs;
  std::uint64_t seq = *next_seq;
  for (const NewBatch& batch : batches) {
    auto batch_id = frame::new_uuid();
    if (!batch_id) return tl::unexpected(batch_id.error());
    frame::Header header;
    header.batch_id = *batch_id;
    header.agent_id = options_.agent_id;
    header.tenant_id = options_.tenant_id;
    header.spool_id = spool_id_;
    header.seq = seq;
    header.kind = batch.kind;
    header.source = source.empty() ? batch.source : std::string(source);
    header.stream = batch.stream;
    header.rows = batch.rows;
    header.key_version = batch.key_version;
    header.created_at = keys::format_rfc3339(std::chrono::system_clock::now());
    auto sealed = frame::seal(header, options_.tenant_public_key, batch.compressed);
    if (!sealed) return tl::unexpected(sealed.error());
    auto ran = insert->bind(1, static_cast<std::int64_t>(seq))
                   .bind(2, header.batch_id)
                   .bind(3, header.kind)
                   .bind(4, header.source)
                   .bind(5, header.stream)
                   .bind(6, static_cast<std::int64_t>(header.rows))
                   .bind(7, static_cast<std::int64_t>(sealed->size()))
                   .bind(8, now_unix())
                   .bind_blob(9, *sealed)
                   .run();
    if (!ran) return tl::unexpected(ran.error());
    seqs.push_back(seq++);
  }
  if (auto written = write_counter("next_seq", seq); !written) {
    return tl::unexpected(written.error());
  }
  return seqs;
}

Result<std::uint64_t> Spool::erasures() {
  std::lock_guard lock(mutex_);
  return read_counter("erasures");
}

Result<ErasureReport> Spool::erase(const Erasure& erasure) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  ErasureReport report;
  // Change-detection entries of the erased keys: runs not merged yet are merged first, then one
  // pass over the stored pages whatever the number of keys (a key may be in any source and
  // stream).
  {
    std::vector<std::string> sources;
    auto pending_sources = db_.prepare("SELECT DISTINCT source FROM digest_runs");
    if (!pending_sources) return tl::unexpected(pending_sources.error());
    for (;;) {
      auto row = pending_sources->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      sources.emplace_back(pending_sources->column_text(0));
    }
    pending_sources->reset();
    for (const std::string& source : sources) {
      if (auto merged = merge_runs(source); !merged) return tl::unexpected(merged.error());
    }
  }
  {
    const std::unordered_set<std::string> keys(erasure.keys.begin(), erasure.keys.end());
    auto removed = store_.erase_keys(keys);
    if (!removed) return tl::unexpected(removed.error());
    report.digests_removed += *removed;
  }
  // Unsent row batches may carry an erased subject, and the agent cannot open them (they are
  // sealed to the tenant): they are withheld, and their sources read again.
  auto waiting = db_.prepare(
      "SELECT seq, rows, source FROM batches WHERE seq > ? AND kind = 'rows' AND rejected IS NULL "
      "ORDER BY seq");
  if (!waiting) return tl::unexpected(waiting.error());
  waiting->bind(1, static_cast<std::int64_t>(erasure.withhold_after));
  struct Run {
    std::uint64_t from = 0, to = 0, rows = 0;
  };
  std::vector<Run> runs;
  for (;;) {
    auto row = waiting->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const auto seq = static_cast<std::uint64_t>(waiting->column_int(0));
    const auto rows = static_cast<std::uint64_t>(waiting->column_int(1));
    std::string source(waiting->column_text(2));
    if (!runs.empty() && runs.back().to + 1 == seq) {
      runs.back().to = seq;
      runs.back().rows += rows;
    } else {
      runs.push_back({seq, seq, rows});
    }
    ++report.withheld_batches;
    report.withheld_rows += rows;
    if (std::find(report.sources_reset.begin(), report.sources_reset.end(), source) ==
        report.sources_reset.end()) {
      report.sources_reset.push_back(std::move(source));
    }
  }
  waiting->reset();
  auto withhold = db_.prepare("DELETE FROM batches WHERE seq BETWEEN ? AND ?");
  if (!withhold) return tl::unexpected(withhold.error());
  for (const Run& run : runs) {
    if (auto ran = withhold->bind(1, static_cast<std::int64_t>(run.from))
                       .bind(2, static_cast<std::int64_t>(run.to))
                       .run();
        !ran) {
      return tl::unexpected(ran.error());
    }
    if (auto gap = insert_gap(run.from, run.to, run.rows, kWithheldReason); !gap) {
      return tl::unexpected(gap.error());
    }
  }
  for (const std::string& source : report.sources_reset) {
    if (auto forgotten = forget_source(source); !forgotten) {
      return tl::unexpected(forgotten.error());
    }
  }
  auto erasures = read_counter("erasures");
  if (!erasures) return tl::unexpected(erasures.error());
  if (auto counted = write_counter("erasures", *erasures + 1); !counted) {
    return tl::unexpected(counted.error());
  }
  // The erase batch is small and must never be refused for room: it is what makes the tenant
  // forget. It goes in whatever the spool's size.
  auto seqs = insert_batches({erasure.batch}, "");
  if (!seqs) return tl::unexpected(seqs.error());
  report.seq = seqs->front();
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  if (on_commit_) on_commit_();
  return report;
}

Result<std::optional<std::string>> Spool::source_state(std::string_view source) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare("SELECT state FROM source_state WHERE source = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, source).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  std::optional<std::string> state(std::string(select->column_text(0)));
  select->reset();
  return state;
}

Result<void> Spool::append_run(std::string_view source, std::vector<runs::Entry>& entries) {
  const std::vector<std::uint8_t> data = runs::encode_sorted(entries);
  if (!append_run_) {
    // `ord` above every id in the table, so above every ord: the newest run.
    auto prepared = db_.prepare(
        "INSERT INTO digest_runs(source, ord, entries, data) "
        "VALUES (?, (SELECT coalesce(max(id), 0) + 1 FROM digest_runs), ?, ?)");
    if (!prepared) return tl::unexpected(prepared.error());
    append_run_.emplace(std::move(*prepared));
  }
  return append_run_->bind(1, source)
      .bind(2, static_cast<std::int64_t>(entries.size()))
      .bind_blob(3, data)
      .run();
}

Result<void> Spool::merge_digests(std::string_view source) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  if (auto merged = merge_runs(source); !merged) return merged;
  return txn->commit();
}

namespace {

// One run: its parts (digest_runs rows sharing its `ord`), in order.
struct StoredRun {
  std::int64_t ord = 0;
  std::vector<std::int64_t> parts;
};

std::vector<runs::Reader> open_readers(sqlite::Database& db, const std::vector<StoredRun>& stored) {
  // A small buffer per run: the merge reads hundreds of runs at once in bounded memory.
  constexpr std::size_t kReadBuffer = 16 * 1024;
  std::vector<runs::Reader> readers;
  readers.reserve(stored.size());
  for (const StoredRun& run : stored) {
    readers.push_back(runs::Reader::open(db.handle(), run.parts, kReadBuffer));
  }
  return readers;
}

// Merges `group` (the oldest runs of `source`) into one run that takes the newest one's place in
// the order, then deletes them.
Result<void> compact_runs(sqlite::Database& db, std::string_view source,
                          const std::vector<StoredRun>& group) {
  constexpr std::size_t kPartBytes = 1024 * 1024;
  auto insert =
      db.prepare("INSERT INTO digest_runs(source, ord, entries, data) VALUES (?, ?, ?, ?)");
  if (!insert) return tl::unexpected(insert.error());
  runs::Encoder encoder;
  const auto write_part = [&]() -> Result<void> {
    if (encoder.entries() == 0) return {};
    auto ran = insert->bind(1, source)
                   .bind(2, group.back().ord)
                   .bind(3, encoder.entries())
                   .bind_blob(4, encoder.data())
                   .run();
    encoder.clear();
    return ran;
  };
  {
    runs::Merger merger(open_readers(db, group));
    if (auto started = merger.start(); !started) return started;
    for (;;) {
      auto entry = merger.next();
      if (!entry) return tl::unexpected(entry.error());
      if (*entry == nullptr) break;
      encoder.add(**entry);
      if (encoder.size() >= kPartBytes) {
        if (auto written = write_part(); !written) return written;
      }
    }
    if (auto written = write_part(); !written) return written;
  }
  auto remove = db.prepare("DELETE FROM digest_runs WHERE id = ?");
  if (!remove) return tl::unexpected(remove.error());
  for (const StoredRun& run : group) {
    for (const std::int64_t part : run.parts) {
      if (auto ran = remove->bind(1, part).run(); !ran) return ran;
    }
  }
  return {};
}

}  // namespace

Result<void> Spool::merge_runs(std::string_view source) {
  const std::size_t fan_in = std::max<std::size_t>(2, options_.merge_fan_in);
  for (;;) {
    std::vector<StoredRun> stored;
    {
      auto select =
          db_.prepare("SELECT id, ord FROM digest_runs WHERE source = ? ORDER BY ord, id");
      if (!select) return tl::unexpected(select.error());
      select->bind(1, source);
      for (;;) {
        auto row = select->step();
        if (!row) return tl::unexpected(row.error());
        if (!*row) break;
        const std::int64_t ord = select->column_int(1);
        if (stored.empty() || stored.back().ord != ord) stored.push_back({ord, {}});
        stored.back().parts.push_back(select->column_int(0));
      }
    }
    if (stored.empty()) return {};
    if (stored.size() > fan_in) {
      stored.resize(fan_in);
      if (auto compacted = compact_runs(db_, source, stored); !compacted) return compacted;
      continue;
    }
    {
      runs::Merger merger(open_readers(db_, stored));
      if (auto started = merger.start(); !started) return started;
      if (auto applied = store_.apply(source, merger); !applied) return applied;
    }
    auto clear = db_.prepare("DELETE FROM digest_runs WHERE source = ?");
    if (!clear) return tl::unexpected(clear.error());
    return clear->bind(1, source).run();
  }
}

Result<void> Spool::reset_source(std::string_view source) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  if (auto forgotten = forget_source(source); !forgotten) return forgotten;
  return txn->commit();
}

Result<void> Spool::forget_source(std::string_view source) {
  for (const char* sql :
       {"DELETE FROM source_state WHERE source = ?", "DELETE FROM digest_runs WHERE source = ?"}) {
    auto statement = db_.prepare(sql);
    if (!statement) return tl::unexpected(statement.error());
    if (auto ran = statement->bind(1, source).run(); !ran) return ran;
  }
  return store_.forget(source);
}

Result<std::optional<std::array<std::uint8_t, 16>>> Spool::digest(std::string_view source,
                                                                  std::string_view stream,
                                                                  std::string_view key) {
  std::lock_guard lock(mutex_);
  return store_.find(source, stream, key);
}

Result<std::vector<std::string>> Spool::keys_not_seen(std::string_view source,
                                                      std::string_view stream, std::int64_t run,
                                                      std::string_view after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return store_.not_seen(source, stream, run, after, limit);
}

Result<std::uint64_t> Spool::count_keys(std::string_view source, std::string_view stream) {
  std::lock_guard lock(mutex_);
  return store_.count(source, stream);
}

Result<bool> Spool::has_keys(std::string_view source, std::string_view stream) {
  std::lock_guard lock(mutex_);
  return store_.any(source, stream);
}

Result<void> Spool::mark_seen(std::string_view source, std::string_view stream,
                              const std::vector<std::string>& keys, std::int64_t run) {
  if (keys.empty()) return {};
  std::lock_guard lock(mutex_);
  std::vector<runs::Entry> entries;
  entries.reserve(keys.size());
  for (const std::string& key : keys) {
    runs::Entry& entry = entries.emplace_back();
    entry.op = runs::Op::kSeen;
    entry.run = run;
    entry.stream = stream;
    entry.key = key;
  }
  return append_run(source, entries);
}

Result<std::int64_t> Spool::next_run() {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  auto run = read_counter("next_run");
  if (!run) return tl::unexpected(run.error());
  auto update = db_.prepare("UPDATE meta SET value = ? WHERE key = 'next_run'");
  if (!update) return tl::unexpected(update.error());
  if (auto ran = update->bind(1, std::to_string(*run + 1)).run(); !ran)
    return tl::unexpected(ran.error());
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  return static_cast<std::int64_t>(*run);
}

Result<std::vector<StoredBatch>> Spool::pending(std::uint64_t after_seq, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT seq, batch_id, kind, source, stream, rows, frame FROM batches "
      "WHERE seq > ? AND rejected IS NULL ORDER BY seq LIMIT ?");
  if (!select) return tl::unexpected(select.error());
  select->bind(1, static_cast<std::int64_t>(after_seq)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<StoredBatch> batches;
  for (;;) {
    auto row = select->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    StoredBatch batch;
    batch.seq = static_cast<std::uint64_t>(select->column_int(0));
    batch.batch_id = select->column_text(1);
    batch.kind = select->column_text(2);
    batch.source = select->column_text(3);
    batch.stream = select->column_text(4);
    batch.rows = static_cast<std::uint64_t>(select->column_int(5));
    const auto frame = select->column_blob(6);
    batch.frame.assign(frame.begin(), frame.end());
    batches.push_back(std::move(batch));
  }
  return batches;
}

Result<void> Spool::ack(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  auto remove = db_.prepare("DELETE FROM batches WHERE seq = ?");
  if (!remove) return tl::unexpected(remove.error());
  return remove->bind(1, static_cast<std::int64_t>(seq)).run();
}

Result<void> Spool::ack_through(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  auto remove = db_.prepare("DELETE FROM batches WHERE seq <= ? AND rejected IS NULL");
  if (!remove) return tl::unexpected(remove.error());
  return remove->bind(1, static_cast<std::int64_t>(seq)).run();
}

Result<void> Spool::settle_gaps(std::uint64_t to_seq) {
  std::lock_guard lock(mutex_);
  auto remove = db_.prepare("DELETE FROM gaps WHERE to_seq <= ?");
  if (!remove) return tl::unexpected(remove.error());
  return remove->bind(1, static_cast<std::int64_t>(to_seq)).run();
}

Result<void> Spool::reject(std::uint64_t seq, std::string_view reason) {
  std::lock_guard lock(mutex_);
  auto update = db_.prepare("UPDATE batches SET rejected = ? WHERE seq = ?");
  if (!update) return tl::unexpected(update.error());
  return update->bind(1, reason).bind(2, static_cast<std::int64_t>(seq)).run();
}

Result<Stats> Spool::stats() {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT count(*), coalesce(sum(bytes), 0), count(rejected), coalesce(min(created_unix), 0) "
      "FROM batches");
  if (!select) return tl::unexpected(select.error());
  auto row = select->step();
  if (!row) return tl::unexpected(row.error());
  Stats stats;
  stats.batches = static_cast<std::uint64_t>(select->column_int(0));
  stats.bytes = static_cast<std::uint64_t>(select->column_int(1));
  stats.rejected = static_cast<std::uint64_t>(select->column_int(2));
  stats.oldest_created_unix = select->column_int(3);
  select->reset();
  auto next_seq = read_counter("next_seq");
  if (!next_seq) return tl::unexpected(next_seq.error());
  stats.next_seq = *next_seq;
  auto dropped = read_counter("dropped_batches");
  if (!dropped) return tl::unexpected(dropped.error());
  stats.dropped_batches = *dropped;
  return stats;
}

}  // namespace ferry::spool
