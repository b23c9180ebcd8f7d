// Change-detection entries on their way into the spool's digest store (digest_store.hpp).
//
// Every commit of a run appends one "run" to the digest_runs table: a blob holding the commit's
// entries sorted by (stream, key). Spool::merge_digests() later reads all runs of a source at
// once, merging them in key order (a k-way merge with a small buffer per run), and applies the
// entries to the store in that order. A commit costs one INSERT instead of one per row, and no
// sort of the whole journal is ever needed: each run is sorted in memory when written (a
// commit's entries are few) and runs are merged as streams. When a source has more runs than one
// merge may read at once (the fan-in), the oldest are first merged into one bigger run, written
// as several rows ("parts") of about 1 MB that share its `ord`.
//
// Encoding (runs and the store's pages alike), entry after entry: a flags byte (bits 0-1: the
// op; bit 7: a stream name follows, set on a blob's first entry and whenever the stream
// changes), [varint stream length, stream], varint run, digest (16 bytes, upserts only), varint
// key length, key. Varints are unsigned LEB128.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "common/error/error.hpp"

namespace ferry::spool::runs {

enum class Op : std::uint8_t {
  kUpsert = 0,  // the row's digest changed (or is new): store it, seen in `run`
  kDelete = 1,  // the key is gone
  kSeen = 2,    // unchanged: only its seen run becomes `run`
};

// One entry; stream and key view a buffer owned elsewhere (the encoder's input or a reader).
struct Entry {
  Op op = Op::kUpsert;
  std::int64_t run = 0;
  std::array<std::uint8_t, 16> digest{};  // kUpsert only
  std::string_view stream;
  std::string_view key;
};

// Orders entries by stream, then key (bytewise).
inline bool key_less(const Entry& a, const Entry& b) {
  if (const int order = a.stream.compare(b.stream); order != 0) return order < 0;
  return a.key < b.key;
}

// The first 8 bytes of a key as a big-endian number (zero-padded): comparing two of these orders
// most keys without touching their bytes again.
inline std::uint64_t key_prefix(std::string_view key) {
  std::uint64_t prefix = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    prefix = (prefix << 8) | (i < key.size() ? static_cast<std::uint8_t>(key[i]) : 0u);
  }
  return prefix;
}

// Builds one blob, entry after entry.
class Encoder {
 public:
  void add(const Entry& entry);
  std::size_t size() const { return out_.size(); }
  std::int64_t entries() const { return entries_; }
  const std::vector<std::uint8_t>& data() const { return out_; }
  void clear();

 private:
  std::vector<std::uint8_t> out_;
  std::string stream_;  // of the last entry
  std::int64_t entries_ = 0;
};

// Sorts `entries` by key (stably: the later of two entries for one key stays later) and encodes
// them into one blob.
std::vector<std::uint8_t> encode_sorted(std::vector<Entry>& entries);
// Decodes a whole blob held in memory, appending to `out` (views into `data`).
Result<void> decode_all(std::span<const std::uint8_t> data, std::vector<Entry>& out);

// Reads one run, entry by entry, part after part, through SQLite's incremental blob I/O with a
// bounded buffer.
class Reader {
 public:
  Reader() = default;
  ~Reader();
  Reader(Reader&& other) noexcept;
  Reader& operator=(Reader&& other) noexcept;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The blobs in column `data` of these digest_runs rows, in this order.
  static Reader open(sqlite3* db, std::vector<std::int64_t> parts, std::size_t buffer_size);

  // Moves to the next entry: true when there is one (see entry()), false at the end. The
  // previous entry's views become invalid.
  Result<bool> next();
  const Entry& entry() const { return entry_; }
  std::uint64_t prefix() const { return prefix_; }

 private:
  // Opens the next part; false when there is none.
  Result<bool> open_next_part();
  // Makes at least `size` unread bytes of the current part available at buffer_[pos_].
  Result<void> ensure(std::size_t size);

  sqlite3* db_ = nullptr;
  std::vector<std::int64_t> parts_;
  std::size_t next_part_ = 0;
  sqlite3_blob* blob_ = nullptr;
  std::size_t total_ = 0;   // current part's size
  std::size_t offset_ = 0;  // bytes of the current part read into the buffer so far
  std::vector<std::uint8_t> buffer_;
  std::size_t pos_ = 0;     // next unread byte in buffer_
  std::size_t end_ = 0;     // bytes of buffer_ filled
  std::string stream_;      // entries name their stream only when it changes
  bool fresh_part_ = true;  // the part's first entry must name its stream
  Entry entry_;
  std::uint64_t prefix_ = 0;  // key_prefix(entry_.key)
};

// Merges readers in key order; among equal keys, the reader given first (the older run) first.
class Merger {
 public:
  explicit Merger(std::vector<Reader> readers);
  // Primes every reader; call once before next().
  Result<void> start();
  // The next entry in merged order, or nullptr at the end. Valid until the following call.
  Result<const Entry*> next();

 private:
  bool heap_less(std::size_t a, std::size_t b) const;  // "a after b", for std::*_heap
  std::vector<Reader> readers_;
  std::vector<std::size_t> heap_;
  std::size_t current_ = SIZE_MAX;  // the reader whose entry next() returned last
};

}  // namespace ferry::spool::runs
