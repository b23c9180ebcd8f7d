#include "agent/spool/spool_schema.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include <fmt/format.h>

#include "agent/spool/batch_store.hpp"
#include "agent/spool/change_store.hpp"
#include "agent/spool/eraser.hpp"
#include "agent/spool/key_state.hpp"
#include "agent/spool/source_states.hpp"
#include "agent/spool/spool_meta.hpp"
#include "common/error/path_text.hpp"
#include "common/frame/frame.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::spool::schema {
namespace {

constexpr std::string_view kMetaSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

// Brings a spool made by an earlier version up to this one's schema; a no-op on a current one.
Result<void> migrate(sqlite::Database& db) {
  // In the caller's transaction (a new spool's), or in one of its own.
  std::optional<sqlite::Transaction> txn;
  if (sqlite3_get_autocommit(db.handle()) != 0) {
    auto begun = sqlite::Transaction::begin(db);
    if (!begun) return tl::unexpected(begun.error());
    txn.emplace(std::move(*begun));
  }
  if (auto migrated = ChangeStore::migrate(db); !migrated) return migrated;
  if (auto migrated = BatchStore::migrate(db); !migrated) return migrated;
  if (auto migrated = Eraser::migrate(db); !migrated) return migrated;
  if (auto migrated = KeyState::migrate(db); !migrated) return migrated;
  if (auto migrated = SourceStates::migrate(db); !migrated) return migrated;
  // Everything above done, the spool is marked with this version's format.
  // (A no-op on a current spool: the start-up transaction then writes nothing.)
  auto mark = db.prepare("UPDATE meta SET value = ?1 WHERE key = 'format' AND value <> ?1");
  if (!mark) return tl::unexpected(mark.error());
  if (auto marked = mark->bind(1, kSpoolFormat).run(); !marked) return marked;
  return txn ? txn->commit() : Result<void>();
}

// True when the file starts with SQLite's header: only then can it be a spool at all.
bool looks_like_sqlite(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

Result<void> configure(sqlite::Database& db, const Options& options) {
  // WAL + synchronous=FULL: a commit is durable when it returns. The cache is bounded so that
  // memory stays small whatever the spool's size. The busy timeout comes first: switching a new
  // file to WAL needs an exclusive lock, which a reader (a backup tool, a test) may hold briefly.
  // The WAL is checkpointed every 4,096 pages (16 MiB) rather than SQLite's 1,000: a first sync
  // writes hundreds of megabytes, and each checkpoint costs an fsync of the database.
  return db.exec(
      fmt::format("PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous={}; "
                  "PRAGMA cache_size=-8192; PRAGMA foreign_keys=OFF; PRAGMA wal_autocheckpoint={};",
                  options.synchronous_full ? "FULL" : "NORMAL", options.checkpoint_pages));
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
  const auto known = [](std::string_view mark) {
    return mark == kSpoolFormat ||
           std::find(std::begin(kEarlierSpoolFormats), std::end(kEarlierSpoolFormats), mark) !=
               std::end(kEarlierSpoolFormats);
  };
  if (!*format || !known(meta->column_text(0))) {
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
Result<std::filesystem::path> move_aside(const std::filesystem::path& path,
                                         const env::FileSystem& file_system) {
  const std::string suffix = fmt::format(".corrupt-{}", meta::now_unix());
  std::filesystem::path target = path;
  target += suffix;
  if (auto moved = file_system.rename(path, target); !moved) {
    return make_error(moved.error().code,
                      "the spool {} is damaged and cannot be moved aside ({}); nothing was "
                      "changed: free the disk or fix the folder's permissions, then start again",
                      path_text(path), moved.error().message);
  }
  for (const char* extra : {"-wal", "-shm"}) {
    std::filesystem::path side = path;
    side += extra;
    if (auto there = file_system.exists(side); there && *there) {
      (void)file_system.rename(
          side, std::filesystem::path(target) += extra);  // best effort: the db moved
    }
  }
  return target;
}

}  // namespace

Result<std::string> create(sqlite::Database& db) {
  auto spool_id = frame::new_uuid();
  if (!spool_id) return tl::unexpected(spool_id.error());
  auto txn = sqlite::Transaction::begin(db);
  if (!txn) return tl::unexpected(txn.error());
  for (std::string_view tables : {kMetaSchema, std::string_view(BatchStore::kSchema),
                                  std::string_view(SourceStates::kSchema)}) {
    if (auto made = db.exec(tables); !made) return tl::unexpected(made.error());
  }
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

Result<Opened> open(const Options& options, OpenReport& report) {
  const std::filesystem::path& path = options.path;
  const env::FileSystem& file_system = *options.file_system;
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (exists && !looks_like_sqlite(path) && std::filesystem::file_size(path, ec) > 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} is not a Ferry spool (not an SQLite database); it was left untouched: "
                      "move it away or choose another data_dir",
                      path_text(path));
  }
  if (exists) {
    auto db = sqlite::Database::open(path, sqlite::Database::Mode::kReadWrite);
    // Wait out another connection's brief lock (a backup tool, say) before judging the file.
    if (db) {
      if (auto waited = db->exec("PRAGMA busy_timeout=5000"); !waited) {
        return tl::unexpected(waited.error());
      }
    }
    Result<std::string> identity = db ? read_identity(*db) : tl::unexpected(db.error());
    if (identity && db) {
      if (auto configured = configure(*db, options); !configured)
        return tl::unexpected(configured.error());
      if (auto migrated = migrate(*db); !migrated) {
        return tl::unexpected(migrated.error());
      }
      return Opened{std::move(*db), std::move(*identity)};
    }
    if (identity.error().code == ErrorCode::kInvalidArgument) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{}: {}; it was left untouched: move it away "
                        "or choose another data_dir",
                        path_text(path), identity.error().message);
    }
    const bool interrupted = identity.error().code == ErrorCode::kNotFound;
    if (!interrupted && identity.error().code != ErrorCode::kCorrupt) {
      // Busy, unreadable, out of memory: nothing says the file is damaged, so it stays as it is.
      return make_error(identity.error().code,
                        "cannot open the spool {}: {}; it was left untouched", path_text(path),
                        identity.error().message);
    }
    // Close it before it is created anew in place (an interrupted creation holds nothing) or
    // moved aside (damaged: kept for support; sources will re-read from the start).
    if (db)
      *db = sqlite::Database::open(":memory:", sqlite::Database::Mode::kReadWriteCreate).value();
    if (!interrupted) {
      auto moved = move_aside(path, file_system);
      if (!moved) return tl::unexpected(moved.error());
      report.corrupt_moved_to = *moved;
      report.corrupt_reason = identity.error().message;
    }
  }
  auto db = sqlite::Database::open(path, sqlite::Database::Mode::kReadWriteCreate);
  if (!db) return tl::unexpected(db.error());
  // Owner only, before the first write: SQLite gives the -wal and -shm files the same mode.
  if (auto restricted = file_system.make_private(path); !restricted) {
    return tl::unexpected(restricted.error());
  }
  if (auto configured = configure(*db, options); !configured)
    return tl::unexpected(configured.error());
  auto spool_id = create(*db);
  if (!spool_id) return tl::unexpected(spool_id.error());
  report.created = true;
  return Opened{std::move(*db), std::move(*spool_id)};
}

}  // namespace ferry::spool::schema
