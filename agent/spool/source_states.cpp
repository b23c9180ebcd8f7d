#include "agent/spool/source_states.hpp"

#include "agent/spool/spool_meta.hpp"

namespace ferry::spool {

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

}  // namespace ferry::spool
