#include "agent/spool/change_store.hpp"

#include <algorithm>
#include <unordered_set>

#include "agent/spool/spool_meta.hpp"

namespace ferry::spool {
namespace {

// One row per commit that carried change-detection entries (see digest_runs.hpp); `ord` orders
// them (oldest first) and survives a merge of several runs into one. Created with every spool,
// and in spools made before it existed when they are opened.
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

// The runs of `source` waiting to be merged, oldest first.
Result<std::vector<StoredRun>> waiting_runs(sqlite::Database& db, std::string_view source) {
  auto select = db.prepare("SELECT id, ord FROM digest_runs WHERE source = ? ORDER BY ord, id");
  if (!select) return tl::unexpected(select.error());
  select->bind(1, source);
  std::vector<StoredRun> stored;
  for (;;) {
    auto row = select->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const std::int64_t ord = select->column_int(1);
    if (stored.empty() || stored.back().ord != ord) stored.push_back({ord, {}});
    stored.back().parts.push_back(select->column_int(0));
  }
  return stored;
}

}  // namespace

Result<void> ChangeStore::migrate(sqlite::Database& db) {
  if (auto made = db.exec(kRunsSchema); !made) return made;
  if (auto made = db.exec(kDigestPagesSchema); !made) return made;
  if (auto migrated = migrate_journal(db); !migrated) return migrated;
  return DigestStore::migrate_rows(db);
}

Result<void> ChangeStore::append_run(std::string_view source, std::vector<runs::Entry>& entries) {
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

Result<void> ChangeStore::append(std::string_view source, std::int64_t run,
                                 const std::vector<DigestUpdate>& updates) {
  std::vector<runs::Entry> entries;
  entries.reserve(updates.size());
  for (const DigestUpdate& update : updates) {
    runs::Entry& entry = entries.emplace_back();
    entry.op = update.digest ? runs::Op::kUpsert : runs::Op::kDelete;
    entry.run = run;
    if (update.digest) entry.digest = *update.digest;
    entry.stream = update.stream;
    entry.key = update.key;
  }
  return append_run(source, entries);
}

Result<void> ChangeStore::mark_seen(std::string_view source, std::string_view stream,
                                    const std::vector<std::string>& keys, std::int64_t run) {
  if (keys.empty()) return {};
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

Result<void> ChangeStore::merge(std::string_view source) {
  const std::size_t fan_in = std::max<std::size_t>(2, merge_fan_in_);
  for (;;) {
    auto stored = waiting_runs(db_, source);
    if (!stored) return tl::unexpected(stored.error());
    if (stored->empty()) return {};
    if (stored->size() > fan_in) {
      stored->resize(fan_in);
      if (auto compacted = compact_runs(db_, source, *stored); !compacted) return compacted;
      continue;
    }
    {
      runs::Merger merger(open_readers(db_, *stored));
      if (auto started = merger.start(); !started) return started;
      if (auto applied = store_.apply(source, merger); !applied) return applied;
    }
    auto clear = db_.prepare("DELETE FROM digest_runs WHERE source = ?");
    if (!clear) return tl::unexpected(clear.error());
    return clear->bind(1, source).run();
  }
}

Result<void> ChangeStore::merge_all() {
  std::vector<std::string> sources;
  {
    auto pending_sources = db_.prepare("SELECT DISTINCT source FROM digest_runs");
    if (!pending_sources) return tl::unexpected(pending_sources.error());
    for (;;) {
      auto row = pending_sources->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      sources.emplace_back(pending_sources->column_text(0));
    }
  }
  for (const std::string& source : sources) {
    if (auto merged = merge(source); !merged) return merged;
  }
  return {};
}

Result<std::vector<ChangeStore::StoredStream>> ChangeStore::stored_streams() {
  if (auto merged = merge_all(); !merged) return tl::unexpected(merged.error());
  auto select = db_.prepare(
      "SELECT source, stream, min(first_key) FROM digest_pages GROUP BY source, stream "
      "ORDER BY source, stream");
  if (!select) return tl::unexpected(select.error());
  std::vector<StoredStream> streams;
  for (;;) {
    auto row = select->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return streams;
    streams.push_back({std::string(select->column_text(0)), std::string(select->column_text(1)),
                       std::string(select->column_text(2))});
  }
}

Result<std::uint64_t> ChangeStore::erase_keys(const std::vector<std::string>& keys) {
  // Runs not merged yet are merged first, then one pass over the stored pages whatever the
  // number of keys (a key may be in any source and stream).
  if (auto merged = merge_all(); !merged) return tl::unexpected(merged.error());
  return store_.erase_keys(std::unordered_set<std::string>(keys.begin(), keys.end()));
}

Result<void> ChangeStore::forget(std::string_view source) {
  auto statement = db_.prepare("DELETE FROM digest_runs WHERE source = ?");
  if (!statement) return tl::unexpected(statement.error());
  if (auto ran = statement->bind(1, source).run(); !ran) return ran;
  return store_.forget(source);
}

Result<std::uint64_t> ChangeStore::rekey_stream(std::string_view source, std::string_view stream,
                                                const KeyMapper& map) {
  constexpr std::size_t kChunk = 50000;  // entries per run written: a few MiB at most
  if (auto merged = merge(source); !merged) return tl::unexpected(merged.error());
  std::vector<std::string> keys;
  std::vector<runs::Entry> chunk;
  std::uint64_t kept = 0;
  const auto write_chunk = [&]() -> Result<void> {
    if (chunk.empty()) return {};
    // The views into `keys` are set only now: `keys` no longer grows.
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i].key = keys[i];
    auto appended = append_run(source, chunk);
    chunk.clear();
    keys.clear();
    return appended;
  };
  const std::string stream_name(stream);
  auto visited = store_.for_each(source, stream, [&](const runs::Entry& entry) -> Result<void> {
    auto mapped = map(entry.key);
    if (!mapped) return tl::unexpected(mapped.error());
    if (!*mapped) return {};
    runs::Entry& copy = chunk.emplace_back(entry);
    copy.op = runs::Op::kUpsert;
    copy.stream = stream_name;
    keys.push_back(std::move(**mapped));
    ++kept;
    if (chunk.size() >= kChunk) return write_chunk();
    return {};
  });
  if (!visited) return tl::unexpected(visited.error());
  if (auto written = write_chunk(); !written) return tl::unexpected(written.error());
  if (auto forgotten = store_.forget_stream(source, stream); !forgotten) {
    return tl::unexpected(forgotten.error());
  }
  if (auto merged = merge(source); !merged) return tl::unexpected(merged.error());
  return kept;
}

Result<std::int64_t> ChangeStore::next_run() {
  auto run = meta::add_to_counter(db_, "next_run", 1);
  if (!run) return tl::unexpected(run.error());
  return static_cast<std::int64_t>(*run);
}

Result<std::optional<ChangeStore::Digest>> ChangeStore::find(std::string_view source,
                                                             std::string_view stream,
                                                             std::string_view key) {
  return store_.find(source, stream, key);
}

Result<std::vector<std::string>> ChangeStore::not_seen(std::string_view source,
                                                       std::string_view stream, std::int64_t run,
                                                       std::string_view after, std::size_t limit) {
  return store_.not_seen(source, stream, run, after, limit);
}

Result<std::uint64_t> ChangeStore::count(std::string_view source, std::string_view stream) {
  return store_.count(source, stream);
}

Result<bool> ChangeStore::any(std::string_view source, std::string_view stream) {
  return store_.any(source, stream);
}

}  // namespace ferry::spool
