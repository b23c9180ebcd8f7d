#include "agent/spool/digest_runs.hpp"

#include <algorithm>
#include <cstring>

namespace ferry::spool::runs {
namespace {

constexpr std::uint8_t kOpMask = 0x03;
constexpr std::uint8_t kStreamFollows = 0x80;
constexpr std::size_t kDigest = 16;
constexpr std::size_t kMaxVarint = 10;
// Enough for every field of an entry but the stream and the key.
constexpr std::size_t kMaxHead = 1 + kMaxVarint + kMaxVarint + kDigest + kMaxVarint;

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value) | 0x80);
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

Error corrupt_run(std::string_view what) {
  return Error{ErrorCode::kCorrupt,
               "spool: change-detection data is damaged (" + std::string(what) + ")"};
}

enum class Parsed { kOk, kTruncated, kBad };

// Reads a varint from [at, end); advances `at`.
Parsed get_varint(const std::uint8_t*& at, const std::uint8_t* end, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at == end) return Parsed::kTruncated;
    const std::uint8_t byte = *at++;
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return Parsed::kOk;
  }
  return Parsed::kBad;
}

// Parses the entry at [at, end) into `out` and advances `at` past it. `stream` is the stream of
// the entry before (the first entry of a blob must name its own); an entry that names one points
// `stream` into [at, end). Views into the buffer are valid while it is.
Parsed parse_entry(const std::uint8_t*& at, const std::uint8_t* end, std::string_view& stream,
                   bool first, Entry& out) {
  if (at == end) return Parsed::kTruncated;
  const std::uint8_t flags = *at++;
  const std::uint8_t op = flags & kOpMask;
  if (op > static_cast<std::uint8_t>(Op::kSeen) || (flags & ~(kOpMask | kStreamFollows)) != 0 ||
      (first && (flags & kStreamFollows) == 0)) {
    return Parsed::kBad;
  }
  std::uint64_t size = 0;
  if ((flags & kStreamFollows) != 0) {
    if (auto parsed = get_varint(at, end, size); parsed != Parsed::kOk) return parsed;
    if (static_cast<std::size_t>(end - at) < size) return Parsed::kTruncated;
    stream = std::string_view(reinterpret_cast<const char*>(at), size);
    at += size;
  }
  out.op = static_cast<Op>(op);
  out.stream = stream;
  if (auto parsed = get_varint(at, end, size); parsed != Parsed::kOk) return parsed;
  out.run = static_cast<std::int64_t>(size);
  if (out.op == Op::kUpsert) {
    if (static_cast<std::size_t>(end - at) < kDigest) return Parsed::kTruncated;
    std::memcpy(out.digest.data(), at, kDigest);
    at += kDigest;
  } else {
    out.digest = {};
  }
  if (auto parsed = get_varint(at, end, size); parsed != Parsed::kOk) return parsed;
  if (static_cast<std::size_t>(end - at) < size) return Parsed::kTruncated;
  out.key = std::string_view(reinterpret_cast<const char*>(at), size);
  at += size;
  return Parsed::kOk;
}

}  // namespace

void Encoder::add(const Entry& entry) {
  const bool new_stream = entries_ == 0 || entry.stream != stream_;
  out_.push_back(static_cast<std::uint8_t>(entry.op) | (new_stream ? kStreamFollows : 0));
  if (new_stream) {
    stream_.assign(entry.stream);
    put_varint(out_, entry.stream.size());
    out_.insert(out_.end(), entry.stream.begin(), entry.stream.end());
  }
  put_varint(out_, static_cast<std::uint64_t>(entry.run));
  if (entry.op == Op::kUpsert) out_.insert(out_.end(), entry.digest.begin(), entry.digest.end());
  put_varint(out_, entry.key.size());
  const std::size_t at = out_.size();
  out_.resize(at + entry.key.size());
  if (!entry.key.empty()) std::memcpy(out_.data() + at, entry.key.data(), entry.key.size());
  ++entries_;
}

void Encoder::clear() {
  out_.clear();
  stream_.clear();
  entries_ = 0;
}

std::vector<std::uint8_t> encode_sorted(std::vector<Entry>& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return key_less(a, b); });
  Encoder encoder;
  for (const Entry& entry : entries) encoder.add(entry);
  return encoder.data();
}

Result<void> decode_all(std::span<const std::uint8_t> data, std::vector<Entry>& out) {
  const std::uint8_t* at = data.data();
  const std::uint8_t* const end = at + data.size();
  std::string_view stream;
  while (at != end) {
    switch (parse_entry(at, end, stream, out.empty(), out.emplace_back())) {
      case Parsed::kOk:
        break;
      case Parsed::kTruncated:
        return tl::unexpected(corrupt_run("truncated"));
      case Parsed::kBad:
        return tl::unexpected(corrupt_run("bad entry"));
    }
  }
  return {};
}

Reader::~Reader() {
  if (blob_ != nullptr) sqlite3_blob_close(blob_);
}

Reader::Reader(Reader&& other) noexcept { *this = std::move(other); }

Reader& Reader::operator=(Reader&& other) noexcept {
  if (this != &other) {
    if (blob_ != nullptr) sqlite3_blob_close(blob_);
    db_ = other.db_;
    parts_ = std::move(other.parts_);
    next_part_ = other.next_part_;
    blob_ = std::exchange(other.blob_, nullptr);
    total_ = other.total_;
    offset_ = other.offset_;
    buffer_ = std::move(other.buffer_);
    pos_ = other.pos_;
    end_ = other.end_;
    // entry_.stream views stream_: point it at this object's copy.
    stream_ = std::move(other.stream_);
    fresh_part_ = other.fresh_part_;
    entry_ = other.entry_;
    entry_.stream = stream_;
    prefix_ = other.prefix_;
  }
  return *this;
}

Reader Reader::open(sqlite3* db, std::vector<std::int64_t> parts, std::size_t buffer_size) {
  Reader reader;
  reader.db_ = db;
  reader.parts_ = std::move(parts);
  reader.buffer_.resize(buffer_size);
  return reader;
}

Result<bool> Reader::open_next_part() {
  if (blob_ != nullptr) {
    sqlite3_blob_close(blob_);
    blob_ = nullptr;
  }
  if (next_part_ == parts_.size()) return false;
  const std::int64_t rowid = parts_[next_part_++];
  if (sqlite3_blob_open(db_, "main", "digest_runs", "data", rowid, 0, &blob_) != SQLITE_OK) {
    blob_ = nullptr;
    return make_error(ErrorCode::kIo, "spool: cannot read change-detection run {}: {}", rowid,
                      sqlite3_errmsg(db_));
  }
  total_ = static_cast<std::size_t>(sqlite3_blob_bytes(blob_));
  offset_ = 0;
  pos_ = end_ = 0;
  stream_.clear();
  fresh_part_ = true;
  return true;
}

Result<void> Reader::ensure(std::size_t size) {
  if (end_ - pos_ >= size) return {};
  // Keep the unread tail, at the front; grow the buffer only for an entry bigger than it.
  std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
  end_ -= pos_;
  pos_ = 0;
  if (buffer_.size() < size) buffer_.resize(size);
  const std::size_t chunk = std::min(buffer_.size() - end_, total_ - offset_);
  if (chunk > 0) {
    if (const int rc = sqlite3_blob_read(blob_, buffer_.data() + end_, static_cast<int>(chunk),
                                         static_cast<int>(offset_));
        rc != SQLITE_OK) {
      return make_error(ErrorCode::kIo, "spool: cannot read a change-detection run: {}",
                        sqlite3_errstr(rc));
    }
  }
  offset_ += chunk;
  end_ += chunk;
  // Fewer bytes than asked for is fine at a part's end: the parser reports truncation.
  return {};
}

Result<bool> Reader::next() {
  while (blob_ == nullptr || (pos_ == end_ && offset_ == total_)) {
    auto opened = open_next_part();
    if (!opened) return tl::unexpected(opened.error());
    if (!*opened) return false;
  }
  // Parse what the buffer holds; an entry cut by the buffer's end asks for twice as much.
  for (std::size_t want = kMaxHead;; want *= 2) {
    if (auto ok = ensure(want); !ok) return tl::unexpected(ok.error());
    const std::uint8_t* at = buffer_.data() + pos_;
    const std::uint8_t* const end = buffer_.data() + end_;
    std::string_view stream = stream_;
    switch (parse_entry(at, end, stream, fresh_part_, entry_)) {
      case Parsed::kOk:
        if (stream.data() != stream_.data()) stream_.assign(stream);  // named in the buffer
        entry_.stream = stream_;
        pos_ = static_cast<std::size_t>(at - buffer_.data());
        fresh_part_ = false;
        prefix_ = key_prefix(entry_.key);
        return true;
      case Parsed::kBad:
        return tl::unexpected(corrupt_run("bad entry"));
      case Parsed::kTruncated:
        // The buffer held all the part had left: the part ends inside the entry.
        if (end_ - pos_ < want) return tl::unexpected(corrupt_run("truncated"));
        break;
    }
  }
}

Merger::Merger(std::vector<Reader> readers) : readers_(std::move(readers)) {}

bool Merger::heap_less(std::size_t a, std::size_t b) const {
  // std::*_heap keep the greatest on top; the smallest key (then the oldest run) must be there.
  const Entry& x = readers_[a].entry();
  const Entry& y = readers_[b].entry();
  // Runs merged together nearly always hold one stream: its name is checked, then the keys'
  // first bytes decide without a byte-wise comparison.
  if (x.stream == y.stream && readers_[a].prefix() != readers_[b].prefix()) {
    return readers_[a].prefix() > readers_[b].prefix();
  }
  if (key_less(y, x)) return true;
  if (key_less(x, y)) return false;
  return a > b;
}

Result<void> Merger::start() {
  const auto less = [this](std::size_t a, std::size_t b) { return heap_less(a, b); };
  for (std::size_t i = 0; i < readers_.size(); ++i) {
    auto more = readers_[i].next();
    if (!more) return tl::unexpected(more.error());
    if (*more) heap_.push_back(i);
  }
  std::make_heap(heap_.begin(), heap_.end(), less);
  return {};
}

Result<const Entry*> Merger::next() {
  const auto less = [this](std::size_t a, std::size_t b) { return heap_less(a, b); };
  if (current_ != SIZE_MAX) {
    // The entry handed out last is done with: advance its reader and put it back.
    auto more = readers_[current_].next();
    if (!more) return tl::unexpected(more.error());
    if (*more) {
      heap_.push_back(current_);
      std::push_heap(heap_.begin(), heap_.end(), less);
    }
    current_ = SIZE_MAX;
  }
  if (heap_.empty()) return nullptr;
  std::pop_heap(heap_.begin(), heap_.end(), less);
  current_ = heap_.back();
  heap_.pop_back();
  return &readers_[current_].entry();
}

}  // namespace ferry::spool::runs
