// The spool's change-detection store: for each source and stream, the digest of the row last sent
// for each key, and the snapshot run that last saw the key.
//
// Entries are kept in pages: rows of the digest_pages table, each a blob of about 3.5 KB holding
// a few dozen entries in key order (the digest_runs.hpp encoding), indexed by (source, stream,
// first key). A key lives in the page with the greatest first key not above it. Merging sorted
// runs rewrites only the pages whose key range receives entries, page after page in key order, so
// a sync costs a few SQLite writes per page rather than one B-tree insert per row, and a first
// sync writes its pages once, sequentially. A lookup reads one page.
//
// No locking and no transactions of its own: the Spool calls it under its mutex, inside its
// transactions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "agent/spool/digest_runs.hpp"
#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

inline constexpr const char* kDigestPagesSchema = R"sql(
CREATE TABLE IF NOT EXISTS digest_pages(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  stream TEXT NOT NULL,
  first_key TEXT NOT NULL,
  entries INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS digest_pages_by_key ON digest_pages(source, stream, first_key);
)sql";

// A page's row id and first key.
struct Page {
  std::int64_t id = 0;
  std::string first_key;
};

class DigestStore {
 public:
  using Digest = std::array<std::uint8_t, 16>;

  // Lookups keep the stream's page index in memory up to `max_indexed_pages` pages (about 50
  // bytes each: 12 MiB at most by default); beyond, they use SQLite's index.
  static constexpr std::size_t kMaxIndexedPages = 256 * 1024;
  explicit DigestStore(sqlite::Database& db, std::size_t max_indexed_pages = kMaxIndexedPages)
      : db_(db), max_indexed_pages_(max_indexed_pages) {}

  Result<std::optional<Digest>> find(std::string_view source, std::string_view stream,
                                     std::string_view key);
  Result<bool> any(std::string_view source, std::string_view stream);
  Result<std::uint64_t> count(std::string_view source, std::string_view stream);
  // Keys whose seen run is below `run`, in key order after `after`, at most `limit`.
  Result<std::vector<std::string>> not_seen(std::string_view source, std::string_view stream,
                                            std::int64_t run, std::string_view after,
                                            std::size_t limit);
  // Applies entries of `source`, in (stream, key) order, oldest first among equal keys.
  Result<void> apply(std::string_view source, runs::Merger& merger);
  // Removes these keys from every source and stream, and every composite key with one of them
  // among its parts (common/frame/row_key.hpp); returns how many entries went.
  Result<std::uint64_t> erase_keys(const std::unordered_set<std::string>& keys);
  Result<void> forget(std::string_view source);
  // Every entry of one stream, in key order (the views last only for the call).
  Result<void> for_each(std::string_view source, std::string_view stream,
                        const std::function<Result<void>(const runs::Entry&)>& visit);
  Result<void> forget_stream(std::string_view source, std::string_view stream);

  // Spools made before pages kept one row_digests row per key: moved into pages, table dropped.
  static Result<void> migrate_rows(sqlite::Database& db);

 private:
  // The page a key belongs to: the one with the greatest first key not above it.
  Result<std::optional<Page>> page_at_or_before(std::string_view source, std::string_view stream,
                                                std::string_view key);
  Result<std::optional<Page>> page_after(std::string_view source, std::string_view stream,
                                         std::optional<std::string_view> key);

  // The first keys of one stream's pages, in order, kept in memory for find(): a lookup then
  // reads its page by rowid, without descending the page index on disk (whose pages a small
  // cache cannot keep next to the data pages). Dropped by every write to the store.
  struct PageIndex {
    std::string source, stream;
    bool complete = false;            // false: too many pages to keep; find() asks SQLite
    std::string keys;                 // the first keys, one after the other
    std::vector<std::uint32_t> ends;  // where each key ends in `keys`
    std::vector<std::int64_t> ids;    // each page's rowid
  };
  Result<void> load_index(std::string_view source, std::string_view stream);
  // The rowid of the page `key` belongs to, per the index; nullopt when below every page.
  std::optional<std::int64_t> indexed_page(std::string_view key) const;
  Result<std::optional<Digest>> search_page(sqlite::Statement& select, std::string_view key);

  sqlite::Database& db_;
  std::size_t max_indexed_pages_;
  std::optional<PageIndex> index_;
  // Prepared once: lookups run once per row, the page queries once per page a merge touches.
  std::optional<sqlite::Statement> find_;
  std::optional<sqlite::Statement> load_page_;
  std::optional<sqlite::Statement> remove_page_;
  std::optional<sqlite::Statement> page_at_or_before_;
  std::optional<sqlite::Statement> page_after_;
  std::optional<sqlite::Statement> first_page_;
  std::vector<runs::Entry> scratch_;  // find()'s decoded page, reused
};

}  // namespace ferry::spool
