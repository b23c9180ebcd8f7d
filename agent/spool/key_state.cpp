#include "agent/spool/key_state.hpp"

#include "agent/spool/spool_meta.hpp"

namespace ferry::spool {

Result<void> KeyState::migrate(sqlite::Database& db) {
  if (auto counter = db.exec("INSERT OR IGNORE INTO meta(key, value) VALUES ('keys_version', '0')");
      !counter) {
    return counter;
  }
  auto exists = db.has_table("key_state");
  if (!exists) return tl::unexpected(exists.error());
  if (*exists) return {};
  if (auto made = db.exec(R"sql(
CREATE TABLE key_state(
  source TEXT PRIMARY KEY,
  legacy_digests INTEGER NOT NULL DEFAULT 0,
  hash_maps_from INTEGER NOT NULL DEFAULT 0);
)sql");
      !made) {
    return made;
  }
  // Digests stored before they were keyed hashed the row as sent, tokens and all.
  return db.exec(
      "INSERT INTO key_state(source, legacy_digests) "
      "SELECT DISTINCT source, 1 FROM digest_pages UNION SELECT DISTINCT source, 1 FROM "
      "digest_runs");
}

Result<std::uint32_t> KeyState::keys_version() {
  auto version = meta::read_counter(db_, "keys_version");
  if (!version) return tl::unexpected(version.error());
  return static_cast<std::uint32_t>(*version);
}

Result<void> KeyState::set_keys_version(std::uint32_t version) {
  return meta::write_counter(db_, "keys_version", version);
}

Result<SourceKeyState> KeyState::source(std::string_view source) {
  auto select =
      db_.prepare("SELECT legacy_digests, hash_maps_from FROM key_state WHERE source = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind_view(1, source).step();
  if (!row) return tl::unexpected(row.error());
  SourceKeyState state;
  if (*row) {
    state.legacy_digests = select->column_int(0) != 0;
    state.hash_maps_from = static_cast<std::uint32_t>(select->column_int(1));
  }
  return state;
}

Result<void> KeyState::set_hash_maps_from(const std::vector<std::string>& sources,
                                          std::uint32_t version) {
  auto upsert = db_.prepare(
      "INSERT INTO key_state(source, hash_maps_from) VALUES (?, ?) "
      "ON CONFLICT(source) DO UPDATE SET hash_maps_from = excluded.hash_maps_from");
  if (!upsert) return tl::unexpected(upsert.error());
  for (const std::string& source : sources) {
    if (auto ran = upsert->bind_view(1, source).bind(2, static_cast<std::int64_t>(version)).run();
        !ran) {
      return ran;
    }
  }
  return {};
}

Result<void> KeyState::clear(std::string_view source) {
  auto remove = db_.prepare("DELETE FROM key_state WHERE source = ?");
  if (!remove) return tl::unexpected(remove.error());
  return remove->bind_view(1, source).run();
}

}  // namespace ferry::spool
