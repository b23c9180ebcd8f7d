// Each source's resume state: the source_state table, one row per source that has committed a
// state (connectors/api/source.hpp: State, opaque text the connector reads back). A state is
// written only with the batches read up to it (Spool::commit), and goes when the source is reset
// (eraser.hpp), so that the source is read again from the beginning.
//
// No locking and no transactions of its own: the Spool calls it under its mutex, inside its
// transactions. Owns no statement across calls.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

class SourceStates {
 public:
  // Created with every spool (spool_schema.cpp).
  static constexpr const char* kSchema = R"sql(
CREATE TABLE source_state(source TEXT PRIMARY KEY, state TEXT NOT NULL, updated_unix INTEGER NOT NULL);
)sql";

  explicit SourceStates(sqlite::Database& db) : db_(db) {}

  // The source's state; nullopt when it has none (never read, or reset).
  Result<std::optional<std::string>> get(std::string_view source);
  Result<void> put(std::string_view source, std::string_view state);
  Result<void> forget(std::string_view source);

 private:
  sqlite::Database& db_;
};

}  // namespace ferry::spool
