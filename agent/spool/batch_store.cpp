#include "agent/spool/batch_store.hpp"

#include <algorithm>
#include <chrono>

#include "agent/spool/spool_meta.hpp"
#include "common/frame/frame.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::spool {

Result<void> BatchStore::migrate(sqlite::Database& db) {
  auto columns = db.prepare("SELECT count(*) FROM pragma_table_info('gaps') WHERE name = 'reason'");
  if (!columns) return tl::unexpected(columns.error());
  auto row = columns->step();
  if (!row) return tl::unexpected(row.error());
  const bool has_reason = columns->column_int(0) > 0;
  columns->reset();
  if (has_reason) return {};
  return db.exec(
      "ALTER TABLE gaps ADD COLUMN reason TEXT NOT NULL DEFAULT "
      "'spool full (when_full: drop_oldest)'");
}

Result<void> BatchStore::make_room_for(const std::vector<NewBatch>& batches) {
  std::uint64_t needed = 0;
  for (const NewBatch& batch : batches) needed += batch.compressed.size() + 512;
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
  if (!oldest) return tl::unexpected(oldest.error());
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
    const auto seq = static_cast<std::uint64_t>(oldest->column_int(0));
    const auto rows = static_cast<std::uint64_t>(oldest->column_int(1));
    const auto bytes = static_cast<std::uint64_t>(oldest->column_int(2));
    oldest->reset();
    if (auto removed = remove_as_gap(seq, seq, rows, kDroppedReason); !removed) return removed;
    used -= std::min(used, bytes);
    ++dropped;
  }
  auto total = meta::add_to_counter(db_, "dropped_batches", dropped);
  if (!total) return tl::unexpected(total.error());
  return {};
}

Result<std::vector<std::uint64_t>> BatchStore::insert(const std::vector<NewBatch>& batches,
                                                      std::string_view source) {
  auto next_seq = meta::read_counter(db_, "next_seq");
  if (!next_seq) return tl::unexpected(next_seq.error());
  auto sealing = sealing_key();
  if (!sealing) return tl::unexpected(sealing.error());
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
    header.tenant_key_id = (*sealing)->id;
    auto sealed = frame::seal(header, *(*sealing)->key, batch.compressed);
    if (!sealed) return tl::unexpected(sealed.error());
    auto ran = insert->bind(1, static_cast<std::int64_t>(seq))
                   .bind(2, header.batch_id)
                   .bind(3, header.kind)
                   .bind(4, header.source)
                   .bind(5, header.stream)
                   .bind(6, static_cast<std::int64_t>(header.rows))
                   .bind(7, static_cast<std::int64_t>(sealed->size()))
                   .bind(8, meta::now_unix())
                   .bind_blob(9, *sealed)
                   .run();
    if (!ran) return tl::unexpected(ran.error());
    seqs.push_back(seq++);
  }
  if (auto written = meta::write_counter(db_, "next_seq", seq); !written) {
    return tl::unexpected(written.error());
  }
  return seqs;
}

namespace {

constexpr std::string_view kSealingKeyMeta = "sealing_key_id";

// meta 'sealing_key_id': "" when never set (a spool from before the tenant could ask for a key).
Result<std::string> read_sealing_key_id(sqlite::Database& db) {
  auto select = db.prepare("SELECT value FROM meta WHERE key = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, kSealingKeyMeta).step();
  if (!row) return tl::unexpected(row.error());
  return *row ? std::string(select->column_text(0)) : std::string();
}

}  // namespace

Result<const std::vector<BatchStore::TenantKey>*> BatchStore::tenant_keys() {
  if (!tenant_keys_.empty()) return &tenant_keys_;
  std::vector<TenantKey> keys;
  for (const crypto::Bytes* key : {&options_.tenant_public_key, &options_.tenant_next_public_key}) {
    if (key->empty()) continue;
    auto id = frame::tenant_key_id(*key);
    if (!id) return tl::unexpected(id.error());
    keys.push_back({key, std::move(*id)});
  }
  if (keys.empty() || options_.tenant_public_key.empty()) {
    return make_error(ErrorCode::kConfig,
                      "no tenant public key to seal batches to: set uplink.tenant_public_key");
  }
  tenant_keys_ = std::move(keys);
  return &tenant_keys_;
}

Result<const BatchStore::TenantKey*> BatchStore::sealing_key() {
  auto keys = tenant_keys();
  if (!keys) return tl::unexpected(keys.error());
  auto chosen = read_sealing_key_id(db_);
  if (!chosen) return tl::unexpected(chosen.error());
  for (const TenantKey& key : **keys) {
    if (key.id == *chosen) return &key;
  }
  return &(*keys)->front();  // tenant_public_key
}

Result<std::string> BatchStore::sealing_key_id() {
  auto key = sealing_key();
  if (!key) return tl::unexpected(key.error());
  return (*key)->id;
}

Result<KeyChoice> BatchStore::use_tenant_key(std::string_view key_id) {
  auto current = sealing_key();
  if (!current) return tl::unexpected(current.error());
  if ((*current)->id == key_id) return KeyChoice::kAlready;
  auto keys = tenant_keys();
  if (!keys) return tl::unexpected(keys.error());
  const bool configured = std::any_of((*keys)->begin(), (*keys)->end(),
                                      [&](const TenantKey& key) { return key.id == key_id; });
  if (!configured) return KeyChoice::kUnknown;
  auto upsert = db_.prepare(
      "INSERT INTO meta(key, value) VALUES (?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!upsert) return tl::unexpected(upsert.error());
  if (auto ran = upsert->bind(1, kSealingKeyMeta).bind(2, key_id).run(); !ran) {
    return tl::unexpected(ran.error());
  }
  return KeyChoice::kSwitched;
}

Result<std::vector<BatchStore::Unsent>> BatchStore::unsent_rows_after(std::uint64_t seq) {
  auto waiting = db_.prepare(
      "SELECT seq, rows, source FROM batches WHERE seq > ? AND kind = 'rows' AND rejected IS NULL "
      "ORDER BY seq");
  if (!waiting) return tl::unexpected(waiting.error());
  waiting->bind(1, static_cast<std::int64_t>(seq));
  std::vector<Unsent> unsent;
  for (;;) {
    auto row = waiting->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    unsent.push_back({static_cast<std::uint64_t>(waiting->column_int(0)),
                      static_cast<std::uint64_t>(waiting->column_int(1)),
                      std::string(waiting->column_text(2))});
  }
  return unsent;
}

Result<void> BatchStore::remove_as_gap(std::uint64_t from_seq, std::uint64_t to_seq,
                                       std::uint64_t rows, std::string_view reason) {
  auto remove = db_.prepare("DELETE FROM batches WHERE seq BETWEEN ? AND ?");
  if (!remove) return tl::unexpected(remove.error());
  if (auto ran = remove->bind(1, static_cast<std::int64_t>(from_seq))
                     .bind(2, static_cast<std::int64_t>(to_seq))
                     .run();
      !ran) {
    return ran;
  }
  return insert_gap(from_seq, to_seq, rows, reason);
}

Result<void> BatchStore::insert_gap(std::uint64_t from_seq, std::uint64_t to_seq,
                                    std::uint64_t rows, std::string_view reason) {
  auto gap = db_.prepare(
      "INSERT INTO gaps(from_seq, to_seq, rows, created_unix, reason) VALUES (?, ?, ?, ?, ?)");
  if (!gap) return tl::unexpected(gap.error());
  return gap->bind(1, static_cast<std::int64_t>(from_seq))
      .bind(2, static_cast<std::int64_t>(to_seq))
      .bind(3, static_cast<std::int64_t>(rows))
      .bind(4, meta::now_unix())
      .bind(5, reason)
      .run();
}

Result<std::vector<StoredBatch>> BatchStore::pending(std::uint64_t after_seq, std::size_t limit) {
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

namespace {

// Runs one statement that takes a seq as its only parameter.
Result<void> run_with_seq(sqlite::Database& db, std::string_view sql, std::uint64_t seq) {
  auto statement = db.prepare(sql);
  if (!statement) return tl::unexpected(statement.error());
  return statement->bind(1, static_cast<std::int64_t>(seq)).run();
}

}  // namespace

Result<void> BatchStore::ack(std::uint64_t seq) {
  return run_with_seq(db_, "DELETE FROM batches WHERE seq = ?", seq);
}

Result<void> BatchStore::ack_through(std::uint64_t seq) {
  return run_with_seq(db_, "DELETE FROM batches WHERE seq <= ? AND rejected IS NULL", seq);
}

Result<void> BatchStore::settle_gaps(std::uint64_t to_seq) {
  return run_with_seq(db_, "DELETE FROM gaps WHERE to_seq <= ?", to_seq);
}

Result<void> BatchStore::reject(std::uint64_t seq, std::string_view reason) {
  auto update = db_.prepare("UPDATE batches SET rejected = ? WHERE seq = ?");
  if (!update) return tl::unexpected(update.error());
  return update->bind(1, reason).bind(2, static_cast<std::int64_t>(seq)).run();
}

Result<Stats> BatchStore::stats() {
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
  auto next_seq = meta::read_counter(db_, "next_seq");
  if (!next_seq) return tl::unexpected(next_seq.error());
  stats.next_seq = *next_seq;
  auto dropped = meta::read_counter(db_, "dropped_batches");
  if (!dropped) return tl::unexpected(dropped.error());
  stats.dropped_batches = *dropped;
  return stats;
}

Result<std::vector<Gap>> BatchStore::gaps() {
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

void BatchStore::protect_through(std::uint64_t seq) {
  std::uint64_t current = protected_through_.load();
  while (current < seq && !protected_through_.compare_exchange_weak(current, seq)) {
  }
}

}  // namespace ferry::spool
