#include "agent/spool/source_states.hpp"

#include "agent/spool/spool_meta.hpp"

namespace ferry::spool {

Result<void> SourceStates::migrate(sqlite::Database& db) {
  return db.exec(
      "CREATE TABLE IF NOT EXISTS source_activity(source TEXT PRIMARY KEY, first_success_unix "
      "INTEGER, last_change_unix INTEGER, rows_last_change INTEGER NOT NULL DEFAULT 0)");
}

Result<std::optional<std::string>> SourceStates::get(std::string_view source) {
  auto select = db_.prepare("SELECT state FROM source_state WHERE source = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, source).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  std::optional<std::string> state(std::string(select->column_text(0)));
  select->reset();
  return state;
}

Result<void> SourceStates::put(std::string_view source, std::string_view state) {
  auto put = db_.prepare(
      "INSERT INTO source_state(source, state, updated_unix) VALUES (?, ?, ?) "
      "ON CONFLICT(source) DO UPDATE SET state = excluded.state, updated_unix = "
      "excluded.updated_unix");
  if (!put) return tl::unexpected(put.error());
  return put->bind(1, source).bind(2, state).bind(3, meta::now_unix()).run();
}

Result<void> SourceStates::forget(std::string_view source) {
  auto remove = db_.prepare("DELETE FROM source_state WHERE source = ?");
  if (!remove) return tl::unexpected(remove.error());
  return remove->bind(1, source).run();
}

Result<std::optional<SourceActivity>> SourceStates::activity(std::string_view source) {
  auto table = db_.has_table("source_activity");
  if (!table) return tl::unexpected(table.error());
  if (!*table) return std::optional<SourceActivity>();
  auto select = db_.prepare(
      "SELECT first_success_unix, last_change_unix, rows_last_change FROM source_activity "
      "WHERE source = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, source).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<SourceActivity>();
  SourceActivity activity;
  if (!select->column_is_null(0)) activity.first_success_unix = select->column_int(0);
  if (!select->column_is_null(1)) activity.last_change_unix = select->column_int(1);
  activity.rows_last_change = static_cast<std::uint64_t>(select->column_int(2));
  select->reset();
  return std::optional<SourceActivity>(activity);
}

Result<void> SourceStates::record_run(std::string_view source, const SourceRunEnd& run) {
  // ?2 the run's end, ?3 its rows, ?4 whether it succeeded. A run that spooled nothing leaves the
  // last change as it was; the first success is written once.
  auto record = db_.prepare(
      "INSERT INTO source_activity(source, first_success_unix, last_change_unix, "
      "rows_last_change) VALUES (?1, CASE WHEN ?4 THEN ?2 END, CASE WHEN ?3 > 0 THEN ?2 END, ?3) "
      "ON CONFLICT(source) DO UPDATE SET "
      "first_success_unix = coalesce(first_success_unix, excluded.first_success_unix), "
      "last_change_unix = CASE WHEN ?3 > 0 THEN ?2 ELSE last_change_unix END, "
      "rows_last_change = CASE WHEN ?3 > 0 THEN ?3 ELSE rows_last_change END");
  if (!record) return tl::unexpected(record.error());
  return record->bind(1, source)
      .bind(2, run.ended_unix)
      .bind(3, static_cast<std::int64_t>(run.rows_spooled))
      .bind(4, std::int64_t{run.succeeded ? 1 : 0})
      .run();
}

}  // namespace ferry::spool
