#include "agent/spool/spool_meta.hpp"

#include <chrono>
#include <string>

namespace ferry::spool::meta {

Result<std::uint64_t> read_counter(sqlite::Database& db, std::string_view name) {
  auto select = db.prepare("SELECT value FROM meta WHERE key = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, name).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return make_error(ErrorCode::kCorrupt, "spool: counter {} is missing", name);
  return static_cast<std::uint64_t>(std::stoull(std::string(select->column_text(0))));
}

Result<void> write_counter(sqlite::Database& db, std::string_view name, std::uint64_t value) {
  auto update = db.prepare("UPDATE meta SET value = ? WHERE key = ?");
  if (!update) return tl::unexpected(update.error());
  return update->bind(1, std::to_string(value)).bind(2, name).run();
}

Result<std::uint64_t> add_to_counter(sqlite::Database& db, std::string_view name,
                                     std::uint64_t amount) {
  auto value = read_counter(db, name);
  if (!value) return value;
  if (auto written = write_counter(db, name, *value + amount); !written) {
    return tl::unexpected(written.error());
  }
  return value;
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ferry::spool::meta
