#include "agent/spool/digest_store.hpp"

#include <algorithm>
#include <cstring>

#include "common/frame/row_key.hpp"

namespace ferry::spool {
namespace {

// The statement in `slot`, prepared on first use.
Result<sqlite::Statement*> cached(sqlite::Database& db, std::optional<sqlite::Statement>& slot,
                                  const char* sql) {
  if (!slot) {
    auto prepared = db.prepare(sql);
    if (!prepared) return tl::unexpected(prepared.error());
    slot.emplace(std::move(*prepared));
  }
  return &*slot;
}

// Steps a page query to its one row, if any, and resets it.
Result<std::optional<Page>> one_page(sqlite::Statement& select) {
  auto row = select.step();
  std::optional<Page> page;
  if (row && *row) page = Page{select.column_int(0), std::string(select.column_text(1))};
  select.reset();
  if (!row) return tl::unexpected(row.error());
  return page;
}

// Pages are cut once their blob passes this size, so that a page and its row fit in one 4 KiB
// SQLite page with the usual key lengths (a lookup then reads one database page).
constexpr std::size_t kPageBytes = 3400;

// Writes the entries of one (source, stream), in key order, as new pages.
class PageWriter {
 public:
  PageWriter(sqlite::Database& db, std::string_view source, std::string_view stream)
      : db_(db), source_(source), stream_(stream) {}

  Result<void> add(const runs::Entry& entry) {
    if (encoder_.entries() == 0) first_key_.assign(entry.key);
    runs::Entry stored = entry;
    stored.op = runs::Op::kUpsert;
    stored.stream = {};  // the row names the stream
    encoder_.add(stored);
    if (encoder_.size() >= kPageBytes) return flush();
    return {};
  }

  Result<void> flush() {
    if (encoder_.entries() == 0) return {};
    auto insert = cached(db_, insert_,
                         "INSERT INTO digest_pages(source, stream, first_key, entries, data) "
                         "VALUES (?, ?, ?, ?, ?)");
    if (!insert) return tl::unexpected(insert.error());
    auto ran = (*insert)
                   ->bind_view(1, source_)
                   .bind_view(2, stream_)
                   .bind_view(3, first_key_)
                   .bind(4, encoder_.entries())
                   .bind_blob(5, encoder_.data())
                   .run();
    encoder_.clear();
    return ran;
  }

 private:
  sqlite::Database& db_;
  std::string source_;
  std::string stream_;
  std::optional<sqlite::Statement> insert_;
  runs::Encoder encoder_;
  std::string first_key_;
};

// A page's entries, decoded (views into `data`).
Result<void> decode_page(std::span<const std::uint8_t> data, std::vector<runs::Entry>& out) {
  out.clear();
  return runs::decode_all(data, out);
}

}  // namespace

Result<std::optional<Page>> DigestStore::page_at_or_before(std::string_view source,
                                                           std::string_view stream,
                                                           std::string_view key) {
  auto select = cached(db_, page_at_or_before_,
                       "SELECT id, first_key FROM digest_pages WHERE source = ? AND stream = ? "
                       "AND first_key <= ? ORDER BY first_key DESC LIMIT 1");
  if (!select) return tl::unexpected(select.error());
  (*select)->bind_view(1, source).bind_view(2, stream).bind_view(3, key);
  return one_page(**select);
}

Result<std::optional<Page>> DigestStore::page_after(std::string_view source,
                                                    std::string_view stream,
                                                    std::optional<std::string_view> key) {
  auto select =
      key ? cached(db_, page_after_,
                   "SELECT id, first_key FROM digest_pages WHERE source = ? AND stream = ? AND "
                   "first_key > ? ORDER BY first_key LIMIT 1")
          : cached(db_, first_page_,
                   "SELECT id, first_key FROM digest_pages WHERE source = ? AND stream = ? "
                   "ORDER BY first_key LIMIT 1");
  if (!select) return tl::unexpected(select.error());
  (*select)->bind_view(1, source).bind_view(2, stream);
  if (key) (*select)->bind_view(3, *key);
  return one_page(**select);
}

Result<void> DigestStore::load_index(std::string_view source, std::string_view stream) {
  // About 50 bytes a page: 4 MiB for the 5 million enrollments of a very large district.
  index_.emplace();
  index_->source.assign(source);
  index_->stream.assign(stream);
  auto select = db_.prepare(
      "SELECT id, first_key FROM digest_pages WHERE source = ? AND stream = ? ORDER BY first_key");
  if (!select) return tl::unexpected(select.error());
  select->bind_view(1, source).bind_view(2, stream);
  for (;;) {
    auto row = select->step();
    if (!row) {
      index_.reset();
      return tl::unexpected(row.error());
    }
    if (!*row) break;
    if (index_->ids.size() == max_indexed_pages_) {
      // Too big to keep: an incomplete index that sends find() to SQLite.
      index_->keys.clear();
      index_->keys.shrink_to_fit();
      index_->ends = {};
      index_->ids = {};
      return {};
    }
    index_->keys.append(select->column_text(1));
    index_->ends.push_back(static_cast<std::uint32_t>(index_->keys.size()));
    index_->ids.push_back(select->column_int(0));
  }
  index_->complete = true;
  return {};
}

std::optional<std::int64_t> DigestStore::indexed_page(std::string_view key) const {
  const PageIndex& index = *index_;
  const auto key_at = [&](std::size_t i) {
    const std::size_t begin = i == 0 ? 0 : index.ends[i - 1];
    return std::string_view(index.keys).substr(begin, index.ends[i] - begin);
  };
  // The last page whose first key is not above `key`.
  std::size_t low = 0, high = index.ids.size();
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    if (key_at(mid) <= key) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low == 0) return std::nullopt;
  return index.ids[low - 1];
}

Result<std::optional<DigestStore::Digest>> DigestStore::search_page(sqlite::Statement& select,
                                                                    std::string_view key) {
  auto row = select.step();
  if (!row) {
    select.reset();
    return tl::unexpected(row.error());
  }
  std::optional<Digest> found;
  if (*row) {
    if (auto decoded = decode_page(select.column_blob(0), scratch_); !decoded) {
      select.reset();
      return tl::unexpected(decoded.error());
    }
    for (const runs::Entry& entry : scratch_) {
      if (entry.key == key) {
        found = entry.digest;
        break;
      }
      if (entry.key > key) break;
    }
  }
  select.reset();
  return found;
}

Result<std::optional<DigestStore::Digest>> DigestStore::find(std::string_view source,
                                                             std::string_view stream,
                                                             std::string_view key) {
  if (!index_ || index_->source != source || index_->stream != stream) {
    if (auto loaded = load_index(source, stream); !loaded) return tl::unexpected(loaded.error());
  }
  if (index_->complete) {
    const auto page = indexed_page(key);
    if (!page) return std::optional<Digest>();
    auto select = cached(db_, load_page_, "SELECT data FROM digest_pages WHERE id = ?");
    if (!select) return tl::unexpected(select.error());
    (*select)->bind(1, *page);
    return search_page(**select, key);
  }
  auto select = cached(db_, find_,
                       "SELECT data FROM digest_pages WHERE source = ? AND stream = ? AND "
                       "first_key <= ? ORDER BY first_key DESC LIMIT 1");
  if (!select) return tl::unexpected(select.error());
  (*select)->bind_view(1, source).bind_view(2, stream).bind_view(3, key);
  return search_page(**select, key);
}

Result<bool> DigestStore::any(std::string_view source, std::string_view stream) {
  auto select =
      db_.prepare("SELECT EXISTS(SELECT 1 FROM digest_pages WHERE source = ? AND stream = ?)");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind_view(1, source).bind_view(2, stream).step();
  if (!row) return tl::unexpected(row.error());
  return select->column_int(0) != 0;
}

Result<std::uint64_t> DigestStore::count(std::string_view source, std::string_view stream) {
  auto select = db_.prepare(
      "SELECT coalesce(sum(entries), 0) FROM digest_pages WHERE source = ? AND stream = ?");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind_view(1, source).bind_view(2, stream).step();
  if (!row) return tl::unexpected(row.error());
  return static_cast<std::uint64_t>(select->column_int(0));
}

Result<std::vector<std::string>> DigestStore::not_seen(std::string_view source,
                                                       std::string_view stream, std::int64_t run,
                                                       std::string_view after, std::size_t limit) {
  std::vector<std::string> keys;
  // From the page holding `after` (or the first), page after page.
  std::string from;
  if (!after.empty()) {
    auto page = page_at_or_before(source, stream, after);
    if (!page) return tl::unexpected(page.error());
    if (*page) from = (*page)->first_key;
  }
  auto select = db_.prepare(
      "SELECT data FROM digest_pages WHERE source = ? AND stream = ? AND first_key >= ? "
      "ORDER BY first_key");
  if (!select) return tl::unexpected(select.error());
  select->bind_view(1, source).bind_view(2, stream).bind_view(3, from);
  std::vector<runs::Entry> entries;
  while (keys.size() < limit) {
    auto row = select->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    if (auto decoded = decode_page(select->column_blob(0), entries); !decoded) {
      return tl::unexpected(decoded.error());
    }
    for (const runs::Entry& entry : entries) {
      if (entry.run < run && entry.key > after) {
        keys.emplace_back(entry.key);
        if (keys.size() == limit) break;
      }
    }
  }
  return keys;
}

Result<void> DigestStore::apply(std::string_view source, runs::Merger& merger) {
  index_.reset();
  auto load = cached(db_, load_page_, "SELECT data FROM digest_pages WHERE id = ?");
  auto remove = cached(db_, remove_page_, "DELETE FROM digest_pages WHERE id = ?");
  if (!load) return tl::unexpected(load.error());
  if (!remove) return tl::unexpected(remove.error());

  auto next = merger.next();
  if (!next) return tl::unexpected(next.error());
  const runs::Entry* incoming = *next;
  const auto advance = [&]() -> Result<void> {
    auto moved = merger.next();
    if (!moved) return tl::unexpected(moved.error());
    incoming = *moved;
    return {};
  };

  std::string stream;
  std::string key;
  std::vector<std::uint8_t> old_data;
  std::vector<runs::Entry> old;
  while (incoming != nullptr) {
    stream.assign(incoming->stream);
    PageWriter writer(db_, source, stream);
    while (incoming != nullptr && incoming->stream == stream) {
      // The page the next incoming key belongs to (the first one when the key is below them all),
      // and the page after it: every incoming key below that one's first key lands here.
      auto current = page_at_or_before(source, stream, incoming->key);
      if (!current) return tl::unexpected(current.error());
      if (!*current) {
        current = page_after(source, stream, std::nullopt);
        if (!current) return tl::unexpected(current.error());
      }
      std::optional<Page> following;
      if (*current) {
        auto after = page_after(source, stream, std::string_view((*current)->first_key));
        if (!after) return tl::unexpected(after.error());
        following = std::move(*after);
      }
      old.clear();
      old_data.clear();
      if (*current) {
        auto row = (*load)->bind(1, (*current)->id).step();
        if (row && *row) {
          const auto blob = (*load)->column_blob(0);
          old_data.assign(blob.begin(), blob.end());
        }
        (*load)->reset();
        if (!row) return tl::unexpected(row.error());
        if (auto decoded = decode_page(old_data, old); !decoded) return decoded;
        // Gone before its replacement is written (the replacement may start with the same key).
        if (auto ran = (*remove)->bind(1, (*current)->id).run(); !ran) return ran;
      }
      std::size_t i = 0;
      while (incoming != nullptr && incoming->stream == stream &&
             (!following || incoming->key < std::string_view(following->first_key))) {
        for (; i < old.size() && old[i].key < incoming->key; ++i) {
          if (auto added = writer.add(old[i]); !added) return added;
        }
        key.assign(incoming->key);
        std::optional<runs::Entry> state;
        if (i < old.size() && old[i].key == key) state = old[i++];
        // Every entry for this key, oldest first.
        while (incoming != nullptr && incoming->stream == stream && incoming->key == key) {
          switch (incoming->op) {
            case runs::Op::kUpsert:
              state = *incoming;
              break;
            case runs::Op::kDelete:
              state.reset();
              break;
            case runs::Op::kSeen:
              if (state) state->run = incoming->run;
              break;
          }
          if (state) state->key = key;  // `incoming` is about to move on
          if (auto moved = advance(); !moved) return moved;
        }
        if (state) {
          if (auto added = writer.add(*state); !added) return added;
        }
      }
      for (; i < old.size(); ++i) {
        if (auto added = writer.add(old[i]); !added) return added;
      }
      if (auto flushed = writer.flush(); !flushed) return flushed;
    }
  }
  return {};
}

Result<std::uint64_t> DigestStore::erase_keys(const std::unordered_set<std::string>& keys) {
  index_.reset();
  if (keys.empty()) return 0;
  struct Changed {
    std::int64_t id = 0;
    std::string first_key;
    runs::Encoder data;
  };
  std::vector<Changed> changed;
  std::uint64_t removed = 0;
  // A key erased whole, or a composite key with an erased value among its parts.
  std::string lookup;
  const auto erased = [&](std::string_view key) {
    lookup.assign(key);
    if (keys.count(lookup) != 0) return true;
    const auto parts = frame::composite_key_parts(key);
    if (!parts) return false;
    return std::any_of(parts->begin(), parts->end(), [&](const frame::KeyPart& part) {
      lookup.assign(part.value);
      return keys.count(lookup) != 0;
    });
  };
  {
    auto select = db_.prepare("SELECT id, data FROM digest_pages");
    if (!select) return tl::unexpected(select.error());
    std::vector<runs::Entry> entries;
    for (;;) {
      auto row = select->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      if (auto decoded = decode_page(select->column_blob(1), entries); !decoded) {
        return tl::unexpected(decoded.error());
      }
      std::size_t hits = 0;
      for (const runs::Entry& entry : entries) hits += erased(entry.key) ? 1 : 0;
      if (hits == 0) continue;
      removed += hits;
      Changed& page = changed.emplace_back();
      page.id = select->column_int(0);
      for (const runs::Entry& entry : entries) {
        if (erased(entry.key)) continue;
        if (page.data.entries() == 0) page.first_key.assign(entry.key);
        page.data.add(entry);
      }
    }
  }
  auto remove = db_.prepare("DELETE FROM digest_pages WHERE id = ?");
  auto update =
      db_.prepare("UPDATE digest_pages SET first_key = ?, entries = ?, data = ? WHERE id = ?");
  if (!remove) return tl::unexpected(remove.error());
  if (!update) return tl::unexpected(update.error());
  for (const Changed& page : changed) {
    auto ran = page.data.entries() == 0 ? remove->bind(1, page.id).run()
                                        : update->bind_view(1, page.first_key)
                                              .bind(2, page.data.entries())
                                              .bind_blob(3, page.data.data())
                                              .bind(4, page.id)
                                              .run();
    if (!ran) return tl::unexpected(ran.error());
  }
  return removed;
}

Result<void> DigestStore::for_each(std::string_view source, std::string_view stream,
                                   const std::function<Result<void>(const runs::Entry&)>& visit) {
  auto select = db_.prepare(
      "SELECT data FROM digest_pages WHERE source = ? AND stream = ? ORDER BY first_key");
  if (!select) return tl::unexpected(select.error());
  select->bind_view(1, source).bind_view(2, stream);
  std::vector<runs::Entry> entries;
  for (;;) {
    auto row = select->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
    entries.clear();
    if (auto decoded = decode_page(select->column_blob(0), entries); !decoded) return decoded;
    for (const runs::Entry& entry : entries) {
      if (auto visited = visit(entry); !visited) return visited;
    }
  }
}

Result<void> DigestStore::forget_stream(std::string_view source, std::string_view stream) {
  index_.reset();
  auto remove = db_.prepare("DELETE FROM digest_pages WHERE source = ? AND stream = ?");
  if (!remove) return tl::unexpected(remove.error());
  return remove->bind_view(1, source).bind_view(2, stream).run();
}

Result<void> DigestStore::forget(std::string_view source) {
  index_.reset();
  auto remove = db_.prepare("DELETE FROM digest_pages WHERE source = ?");
  if (!remove) return tl::unexpected(remove.error());
  return remove->bind_view(1, source).run();
}

Result<void> DigestStore::migrate_rows(sqlite::Database& db) {
  auto exists = db.has_table("row_digests");
  if (!exists) return tl::unexpected(exists.error());
  if (!*exists) return {};
  {
    auto select = db.prepare(
        "SELECT source, stream, key, digest, seen_run FROM row_digests ORDER BY source, stream, "
        "key");
    if (!select) return tl::unexpected(select.error());
    std::optional<PageWriter> writer;
    std::string source, stream;
    for (;;) {
      auto row = select->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      if (!writer || select->column_text(0) != source || select->column_text(1) != stream) {
        if (writer) {
          if (auto flushed = writer->flush(); !flushed) return flushed;
        }
        source.assign(select->column_text(0));
        stream.assign(select->column_text(1));
        writer.emplace(db, source, stream);
      }
      runs::Entry entry;
      entry.run = select->column_int(4);
      const auto digest = select->column_blob(3);
      if (digest.size() == entry.digest.size()) {
        std::memcpy(entry.digest.data(), digest.data(), digest.size());
      }
      entry.key = select->column_text(2);
      if (auto added = writer->add(entry); !added) return added;
    }
    if (writer) {
      if (auto flushed = writer->flush(); !flushed) return flushed;
    }
  }
  return db.exec("DROP TABLE row_digests");
}

}  // namespace ferry::spool
