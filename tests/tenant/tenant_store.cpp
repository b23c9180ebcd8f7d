#include "tests/tenant/tenant_store.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <set>

#include <fcntl.h>
#include <fmt/chrono.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config/counted.hpp"
#include "common/log/log.hpp"
#include "tests/tenant/batch_payload.hpp"
#include "tests/tenant/path_part.hpp"
#include "tests/tenant/token_maps.hpp"

namespace ferry::tenant {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS spools (
  agent_id    TEXT NOT NULL,
  spool_id    TEXT NOT NULL,
  settled_seq INTEGER NOT NULL,
  first_seen  TEXT NOT NULL,
  PRIMARY KEY (agent_id, spool_id)
);
CREATE TABLE IF NOT EXISTS batches (
  agent_id    TEXT NOT NULL,
  spool_id    TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  batch_id    TEXT NOT NULL,
  outcome     TEXT NOT NULL,      -- 'stored' or 'rejected'
  kind        TEXT NOT NULL,
  source      TEXT NOT NULL,
  stream      TEXT NOT NULL,
  rows        INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (agent_id, spool_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_by_id ON batches (agent_id, spool_id, batch_id);
CREATE TABLE IF NOT EXISTS gaps (
  agent_id    TEXT NOT NULL,
  spool_id    TEXT NOT NULL,
  from_seq    INTEGER NOT NULL,
  to_seq      INTEGER NOT NULL,
  rows        INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (agent_id, spool_id, from_seq, to_seq)
);
CREATE TABLE IF NOT EXISTS files (
  path           TEXT PRIMARY KEY,  -- relative to the output directory
  committed_size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rekey_sweeps (
  agent_id  TEXT PRIMARY KEY,
  version   INTEGER NOT NULL,     -- the highest key_version of the agent's stored rekey batches
  stored    INTEGER NOT NULL,     -- rekey batches stored for the agent, ever
  swept     INTEGER NOT NULL      -- of those, how many a finished sweep came after
);
CREATE TABLE IF NOT EXISTS erasures (
  agent_id  TEXT NOT NULL,
  domain    TEXT NOT NULL,
  token     TEXT NOT NULL,
  spool_id  TEXT NOT NULL,        -- of the erase batch that first erased the token
  seq       INTEGER NOT NULL,
  erased_at TEXT NOT NULL,
  PRIMARY KEY (agent_id, domain, token)
);
)sql";

constexpr std::string_view kPurgeSuffix = ".purge";
constexpr std::size_t kChunk = 1 << 20;

std::string now_text() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

std::string errno_text(int error) { return std::strerror(error); }

std::int64_t as_sql(std::uint64_t value) { return static_cast<std::int64_t>(value); }

// The output file of a batch, relative to the output directory.
std::string relative_file(const frame::Header& header) {
  if (header.kind == "erase") return header.agent_id + "/erase.jsonl";
  if (header.kind == "rekey") return header.agent_id + "/rekey.jsonl";
  return header.agent_id + "/" + header.source + "/" + header.stream + ".jsonl";
}

std::filesystem::path purge_path(const std::filesystem::path& path) {
  return std::filesystem::path(path.string() + std::string(kPurgeSuffix));
}

// A rows file of `agent_id`: "<agent_id>/<source>/<stream>.jsonl", not its erase.jsonl.
bool is_rows_file_of(std::string_view relative, std::string_view agent_id) {
  return relative.size() > agent_id.size() + 1 && relative.starts_with(agent_id) &&
         relative[agent_id.size()] == '/' &&
         relative.find('/', agent_id.size() + 1) != std::string_view::npos;
}

// `data`, or a copy of it in `buffer` with a final newline when it lacks one.
std::string_view with_final_newline(std::string_view data, std::string& buffer) {
  if (data.empty() || data.back() == '\n') return data;
  buffer.reserve(data.size() + 1);
  buffer.append(data).push_back('\n');
  return buffer;
}

// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

Result<void> fsync_path(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "cannot open {} to fsync it: {}", path.string(),
                      errno_text(errno));
  }
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) {
    return make_error(ErrorCode::kIo, "cannot fsync {}: {}", path.string(), errno_text(error));
  }
  return {};
}

Result<void> fsync_fd(int fd, const std::filesystem::path& path) {
  if (::fsync(fd) != 0) {
    return make_error(ErrorCode::kIo, "cannot fsync {}: {}", path.string(), errno_text(errno));
  }
  return {};
}

Result<void> fsync_folders(const std::set<std::filesystem::path>& folders) {
  for (const auto& folder : folders) {
    if (auto synced = fsync_path(folder); !synced) return synced;
  }
  return {};
}

// Writes all of `data` at `offset`.
Result<void> write_at(int fd, std::string_view data, off_t offset,
                      const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t wrote = ::pwrite(fd, data.data(), data.size(), offset);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, "cannot write {}: {}", path.string(), errno_text(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(wrote));
    offset += wrote;
  }
  return {};
}

// Reads exactly `length` bytes at `offset` into `buffer`.
Result<void> read_at(int fd, char* buffer, std::size_t length, off_t offset,
                     const std::filesystem::path& path) {
  while (length > 0) {
    const ssize_t got = ::pread(fd, buffer, length, offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, "cannot read {}: {}", path.string(), errno_text(errno));
    }
    if (got == 0) {
      return make_error(ErrorCode::kCorrupt, "{} ended before its committed size", path.string());
    }
    buffer += got;
    length -= static_cast<std::size_t>(got);
    offset += got;
  }
  return {};
}

Error shortened_error(const std::filesystem::path& path, std::uint64_t size,
                      std::uint64_t committed) {
  return Error{ErrorCode::kCorrupt,
               fmt::format("{} holds {} bytes but tenant.db recorded {} committed: the file was "
                           "shortened or deleted outside ferry-tenant; restore it, or stop "
                           "ferry-tenant and start over with an empty output folder",
                           path.string(), size, committed)};
}

// The size of the file open at `fd`, which must hold at least `committed` bytes.
Result<std::uint64_t> size_at_least(int fd, std::uint64_t committed,
                                    const std::filesystem::path& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return make_error(ErrorCode::kIo, "cannot stat {}: {}", path.string(), errno_text(errno));
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size < committed) return tl::unexpected(shortened_error(path, size, committed));
  return size;
}

// Calls on_line(offset, line) for every line (newline included) of the first `size` bytes of the
// file open at `fd`, reading a chunk at a time.
template <class OnLine>
Result<void> for_each_line(int fd, std::uint64_t size, const std::filesystem::path& path,
                           OnLine on_line) {
  std::string pending;
  std::uint64_t pending_offset = 0;  // the file offset of pending[0]
  std::uint64_t read_to = 0;
  while (read_to < size) {
    const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - read_to));
    const std::size_t kept = pending.size();
    pending.resize(kept + length);
    if (auto read = read_at(fd, pending.data() + kept, length, static_cast<off_t>(read_to), path);
        !read) {
      return read;
    }
    read_to += length;
    std::size_t start = 0;
    for (std::size_t newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n', start)) {
      on_line(pending_offset + start, std::string_view(pending).substr(start, newline + 1 - start));
      start = newline + 1;
    }
    pending.erase(0, start);
    pending_offset += start;
  }
  if (!pending.empty()) on_line(pending_offset, std::string_view(pending));
  return {};
}

// Copies `length` bytes at `from_offset` of `from` to `to_offset` of `to`.
Result<void> copy_range(int from, std::uint64_t from_offset, std::uint64_t length, int to,
                        std::uint64_t to_offset, const std::filesystem::path& from_path,
                        const std::filesystem::path& to_path) {
  std::string buffer;
  while (length > 0) {
    const auto part = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, length));
    buffer.resize(part);
    if (auto read = read_at(from, buffer.data(), part, static_cast<off_t>(from_offset), from_path);
        !read) {
      return read;
    }
    if (auto wrote = write_at(to, buffer, static_cast<off_t>(to_offset), to_path); !wrote) {
      return wrote;
    }
    from_offset += part;
    to_offset += part;
    length -= part;
  }
  return {};
}

}  // namespace

Result<TenantStore> TenantStore::open(const std::filesystem::path& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot create output folder {}: {}", out_dir.string(),
                      ec.message());
  }
  auto db = sqlite::Database::open(out_dir / "tenant.db", sqlite::Database::Mode::kReadWriteCreate);
  if (!db) return tl::unexpected(db.error());
  if (auto pragmas = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                              "PRAGMA busy_timeout=5000;");
      !pragmas) {
    return tl::unexpected(pragmas.error());
  }
  if (auto schema = db->exec(kSchema); !schema) return tl::unexpected(schema.error());
  TenantStore store(out_dir, std::move(*db));
  if (auto finished = store.finish_purges(); !finished) return tl::unexpected(finished.error());
  if (auto repaired = store.repair_tails(); !repaired) return tl::unexpected(repaired.error());
  if (auto loaded = store.load_erased(); !loaded) return tl::unexpected(loaded.error());
  return store;
}

Result<void> TenantStore::finish_purges() {
  std::vector<FileSize> files;
  auto query = db_.prepare("SELECT path, committed_size FROM files");
  if (!query) return tl::unexpected(query.error());
  while (true) {
    auto row = query->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    files.push_back(
        {std::string(query->column_text(0)), static_cast<std::uint64_t>(query->column_int(1))});
  }
  for (const auto& file : files) {
    const std::filesystem::path path = out_dir_ / file.relative;
    const std::filesystem::path purge = purge_path(path);
    std::error_code ec;
    const auto size = std::filesystem::file_size(purge, ec);
    if (ec) continue;  // no .purge beside this file
    // Equal sizes: the erase committed and the rename did not happen. Else it never committed.
    const bool committed = size == file.size;
    if (committed) {
      std::filesystem::rename(purge, path, ec);
    } else {
      std::filesystem::remove(purge, ec);
    }
    if (ec) {
      return make_error(ErrorCode::kIo, "cannot {} {}: {}", committed ? "finish" : "remove",
                        purge.string(), ec.message());
    }
    if (auto synced = fsync_path(path.parent_path()); !synced) return synced;
    log::get("store")->warn("{} purge path={} bytes={}",
                            committed ? "finished an interrupted" : "removed an uncommitted",
                            file.relative, size);
  }
  purges_pending_ = false;
  return {};
}

Result<void> TenantStore::load_erased() {
  auto query = db_.prepare("SELECT agent_id, token FROM erasures");
  if (!query) return tl::unexpected(query.error());
  while (true) {
    auto row = query->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    erased_[std::string(query->column_text(0))].emplace(query->column_text(1));
  }
  return {};
}

Result<void> TenantStore::repair_tails() {
  auto files = db_.prepare("SELECT path, committed_size FROM files");
  if (!files) return tl::unexpected(files.error());
  while (true) {
    auto row = files->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const std::filesystem::path path = out_dir_ / std::string(files->column_text(0));
    const auto committed = static_cast<std::uintmax_t>(files->column_int(1));
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
      log::get("store")->warn("output file missing path={} committed_size={}", path.string(),
                              committed);
      continue;
    }
    if (size > committed) {
      std::filesystem::resize_file(path, committed, ec);
      if (ec) {
        return make_error(ErrorCode::kIo, "cannot truncate {} to its committed size {}: {}",
                          path.string(), committed, ec.message());
      }
      if (auto synced = fsync_path(path); !synced) return synced;
      log::get("store")->warn("dropped uncommitted tail path={} bytes={}", files->column_text(0),
                              size - committed);
    }
  }
  return {};
}

Result<std::uint64_t> TenantStore::settled(std::string_view agent_id, std::string_view spool_id) {
  auto query = db_.prepare("SELECT settled_seq FROM spools WHERE agent_id = ?1 AND spool_id = ?2");
  if (!query) return tl::unexpected(query.error());
  query->bind(1, agent_id).bind(2, spool_id);
  auto row = query->step();
  if (!row) return tl::unexpected(row.error());
  return *row ? static_cast<std::uint64_t>(query->column_int(0)) : 0;
}

Result<TenantStore::Placement> TenantStore::place(const frame::Header& header) {
  auto settled_seq = settled(header.agent_id, header.spool_id);
  if (!settled_seq) return tl::unexpected(settled_seq.error());
  Placement placement{Order::kNext, *settled_seq + 1};
  if (header.seq <= *settled_seq) {
    placement.order = Order::kDuplicate;
    return placement;
  }
  auto known =
      db_.prepare("SELECT 1 FROM batches WHERE agent_id = ?1 AND spool_id = ?2 AND batch_id = ?3");
  if (!known) return tl::unexpected(known.error());
  known->bind(1, header.agent_id).bind(2, header.spool_id).bind(3, header.batch_id);
  auto row = known->step();
  if (!row) return tl::unexpected(row.error());
  if (*row) {
    placement.order = Order::kDuplicate;
  } else if (header.seq != placement.expected) {
    placement.order = Order::kOutOfOrder;
  }
  return placement;
}

Result<void> TenantStore::check_storable(const frame::Header& header) {
  if (header.kind != "rows" && header.kind != "erase" && header.kind != "rekey") {
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown batch kind '{}' (expected rows, erase or rekey)", header.kind);
  }
  if (header.encoding != frame::kEncoding) {
    return make_error(ErrorCode::kInvalidArgument, "unknown encoding '{}' (expected {})",
                      header.encoding, frame::kEncoding);
  }
  if (!is_safe_path_part(header.agent_id)) {
    return make_error(ErrorCode::kInvalidArgument, "agent id is not a safe folder name");
  }
  if (header.kind == "rows") {
    if (!is_safe_path_part(header.source)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "source name is not a safe folder name (use [A-Za-z0-9._-])");
    }
    if (!is_safe_path_part(header.stream)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "stream name is not a safe file name (use [A-Za-z0-9._-])");
    }
  }
  return {};
}

Result<void> TenantStore::check_payload(const frame::Header& header, std::string_view plaintext) {
  if (auto lines = check_json_lines(plaintext, header.rows); !lines) return lines;
  if (header.kind == "rekey") {
    auto maps = parse_rekey_lines(plaintext);
    if (!maps) return tl::unexpected(maps.error());
    return {};
  }
  if (header.kind != "erase") return {};
  auto erased = parse_erase_lines(plaintext);
  if (!erased) return tl::unexpected(erased.error());
  return {};
}

Result<std::uint64_t> TenantStore::committed_size(const std::string& relative) {
  auto query = db_.prepare("SELECT committed_size FROM files WHERE path = ?1");
  if (!query) return tl::unexpected(query.error());
  query->bind(1, relative);
  auto row = query->step();
  if (!row) return tl::unexpected(row.error());
  return *row ? static_cast<std::uint64_t>(query->column_int(0)) : 0;
}

Result<void> TenantStore::ensure_dir(const std::filesystem::path& relative) {
  std::filesystem::path path = out_dir_;
  for (const auto& part : relative) {
    const std::filesystem::path parent = path;
    path /= part;
    if (::mkdir(path.c_str(), 0700) == 0) {
      // A new folder is durable only once its parent's entry is.
      if (auto synced = fsync_path(parent); !synced) return synced;
    } else if (errno != EEXIST) {
      return make_error(ErrorCode::kIo, "cannot create folder {}: {}", path.string(),
                        errno_text(errno));
    }
  }
  return {};
}

Result<void> TenantStore::record_batch(const frame::Header& header, std::string_view outcome,
                                       std::string_view reason, std::span<const FileSize> files,
                                       std::span<const ErasedToken> erased) {
  auto transaction = sqlite::Transaction::begin(db_);
  if (!transaction) return tl::unexpected(transaction.error());
  const std::string now = now_text();
  auto insert = db_.prepare(
      "INSERT INTO batches (agent_id, spool_id, seq, batch_id, outcome, kind, source, stream, "
      "rows, reason, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!insert) return tl::unexpected(insert.error());
  insert->bind(1, header.agent_id)
      .bind(2, header.spool_id)
      .bind(3, as_sql(header.seq))
      .bind(4, header.batch_id)
      .bind(5, outcome)
      .bind(6, header.kind)
      .bind(7, header.source)
      .bind(8, header.stream)
      .bind(9, as_sql(header.rows))
      .bind(10, reason)
      .bind(11, now);
  if (auto ran = insert->run(); !ran) return ran;
  auto settle = db_.prepare(
      "INSERT INTO spools (agent_id, spool_id, settled_seq, first_seen) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (agent_id, spool_id) DO UPDATE SET settled_seq = excluded.settled_seq");
  if (!settle) return tl::unexpected(settle.error());
  settle->bind(1, header.agent_id)
      .bind(2, header.spool_id)
      .bind(3, as_sql(header.seq))
      .bind(4, now);
  if (auto ran = settle->run(); !ran) return ran;
  if (!files.empty()) {
    auto size = db_.prepare(
        "INSERT INTO files (path, committed_size) VALUES (?1, ?2) "
        "ON CONFLICT (path) DO UPDATE SET committed_size = excluded.committed_size");
    if (!size) return tl::unexpected(size.error());
    for (const auto& file : files) {
      size->bind(1, file.relative).bind(2, as_sql(file.size));
      if (auto ran = size->run(); !ran) return ran;
    }
  }
  if (header.kind == "rekey" && outcome == "stored") {
    // In the batch's transaction: a crash cannot store the maps and lose the sweep they owe.
    auto owe = db_.prepare(
        "INSERT INTO rekey_sweeps (agent_id, version, stored, swept) VALUES (?1, ?2, 1, 0) "
        "ON CONFLICT (agent_id) DO UPDATE SET version = max(version, excluded.version), "
        "stored = stored + 1");
    if (!owe) return tl::unexpected(owe.error());
    if (auto ran = owe->bind(1, header.agent_id).bind(2, std::int64_t{header.key_version}).run();
        !ran) {
      return ran;
    }
  }
  if (!erased.empty()) {
    // The first erasure of a token is the one kept: erasing again changes nothing.
    auto erasure = db_.prepare(
        "INSERT OR IGNORE INTO erasures (agent_id, domain, token, spool_id, seq, erased_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!erasure) return tl::unexpected(erasure.error());
    for (const auto& token : erased) {
      erasure->bind(1, header.agent_id)
          .bind(2, token.domain)
          .bind(3, token.token)
          .bind(4, header.spool_id)
          .bind(5, as_sql(header.seq))
          .bind(6, now);
      if (auto ran = erasure->run(); !ran) return ran;
    }
  }
  return transaction->commit();
}

Result<std::uint64_t> TenantStore::append_at_committed(const std::string& relative,
                                                       std::string_view data,
                                                       std::uint64_t committed) {
  const std::filesystem::path path = out_dir_ / relative;
  if (auto dir = ensure_dir(std::filesystem::path(relative).parent_path()); !dir) {
    return tl::unexpected(dir.error());
  }
  bool created = false;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    created = fd >= 0;
  }
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "cannot open {} for writing: {}", path.string(),
                      errno_text(errno));
  }
  const FdCloser closer{fd};
  auto size = size_at_least(fd, committed, path);
  if (!size) return tl::unexpected(size.error());
  if (*size > committed) {
    // A tail appended before a crash whose commit never happened: the agent will send it again.
    if (::ftruncate(fd, static_cast<off_t>(committed)) != 0) {
      return make_error(ErrorCode::kIo, "cannot truncate {}: {}", path.string(), errno_text(errno));
    }
    log::get("store")->warn("dropped uncommitted tail path={} bytes={}", relative,
                            *size - committed);
  }
  auto wrote = write_at(fd, data, static_cast<off_t>(committed), path);
  if (wrote) wrote = fsync_fd(fd, path);
  if (!wrote) {
    // Best effort: a tail left behind is dropped by the next store of this file anyway.
    if (::ftruncate(fd, static_cast<off_t>(committed)) != 0) {
      log::get("store")->warn("cannot drop the unwritten tail path={}: {}", relative,
                              errno_text(errno));
    }
    return tl::unexpected(wrote.error());
  }
  if (created) {
    // A new file is durable only once its folder's entry is.
    auto synced = fsync_path(path.parent_path());
    if (!synced) return tl::unexpected(synced.error());
  }
  return committed + data.size();
}

void TenantStore::drop_uncommitted(const std::string& relative, std::uint64_t committed) {
  // Leave the file as the database knows it; the next store truncates anyway.
  if (::truncate((out_dir_ / relative).c_str(), static_cast<off_t>(committed)) != 0) {
    log::get("store")->warn("cannot drop the uncommitted tail path={}: {}", relative,
                            errno_text(errno));
  }
}

Result<void> TenantStore::store(const frame::Header& header, std::string_view plaintext) {
  if (auto storable = check_storable(header); !storable) return storable;
  auto placement = place(header);
  if (!placement) return tl::unexpected(placement.error());
  if (placement->order != Order::kNext) {
    return make_error(ErrorCode::kInternal, "store: seq {} is not the next batch (expected {})",
                      header.seq, placement->expected);
  }
  if (purges_pending_) {
    if (auto finished = finish_purges(); !finished) return finished;
  }
  if (header.kind == "erase") return store_erase(header, plaintext);
  if (header.kind == "rekey") return store_rekey(header, plaintext);
  return store_rows(header, plaintext);
}

Result<void> TenantStore::store_rows(const frame::Header& header, std::string_view plaintext) {
  std::string kept;
  std::uint64_t left_out = 0;
  if (const auto erased = erased_.find(header.agent_id); erased != erased_.end()) {
    left_out = keep_lines_without_tokens(plaintext, erased->second, kept);
    if (left_out > 0) plaintext = kept;
  }
  std::string buffer;
  const std::string_view data = with_final_newline(plaintext, buffer);
  const std::string relative = relative_file(header);
  auto committed = committed_size(relative);
  if (!committed) return tl::unexpected(committed.error());
  auto size = append_at_committed(relative, data, *committed);
  if (!size) return tl::unexpected(size.error());
  const std::string reason = left_out == 0 ? std::string()
                                           : fmt::format("{} of erased subjects left out",
                                                         config::counted(left_out, "row"));
  const FileSize file{relative, *size};
  if (auto recorded = record_batch(header, "stored", reason, {&file, 1}); !recorded) {
    drop_uncommitted(relative, *committed);
    return recorded;
  }
  if (left_out > 0) {
    log::get("store")->warn("rows of erased subjects left out agent={} spool={} seq={} rows={}",
                            header.agent_id, header.spool_id, header.seq, left_out);
  }
  return {};
}

Result<void> TenantStore::store_erase(const frame::Header& header, std::string_view plaintext) {
  auto erased = parse_erase_lines(plaintext);
  if (!erased) return tl::unexpected(erased.error());
  TokenSet tokens;
  for (const auto& token : *erased) tokens.insert(token.token);
  const LineChange change = [&](std::string_view line, std::string&) {
    return carries_token(line, tokens);
  };
  return rewrite_rows(header, plaintext, change, "removed from", *erased,
                      [&](std::uint64_t rows, std::size_t files) {
                        log::get("store")->info(
                            "erase applied agent={} spool={} seq={} tokens={} files={} "
                            "rows_removed={}",
                            header.agent_id, header.spool_id, header.seq, tokens.size(), files,
                            rows);
                        if (!tokens.empty()) erased_[header.agent_id].merge(tokens);
                      });
}

Result<void> TenantStore::store_rekey(const frame::Header& header, std::string_view plaintext) {
  auto maps = parse_rekey_lines(plaintext);
  if (!maps) return tl::unexpected(maps.error());
  TokenMapping mapping;
  for (auto& map : *maps) mapping.insert_or_assign(map.old_token, map.new_token);
  const LineChange change = [&](std::string_view line, std::string& out) {
    return rewrite_tokens(line, mapping, out) > 0;
  };
  return rewrite_rows(header, plaintext, change, "re-keyed in", {},
                      [&](std::uint64_t rows, std::size_t files) {
                        log::get("store")->info(
                            "rekey applied agent={} spool={} seq={} maps={} files={} rows={}",
                            header.agent_id, header.spool_id, header.seq, mapping.size(), files,
                            rows);
                      });
}

Result<void> TenantStore::rewrite_rows(
    const frame::Header& header, std::string_view plaintext, const LineChange& change,
    std::string_view what, std::span<const ErasedToken> erased,
    const std::function<void(std::uint64_t rows, std::size_t files)>& on_committed) {
  std::string buffer;
  const std::string_view data = with_final_newline(plaintext, buffer);
  const std::string relative = relative_file(header);
  auto committed = committed_size(relative);
  if (!committed) return tl::unexpected(committed.error());
  auto size = append_at_committed(relative, data, *committed);
  if (!size) return tl::unexpected(size.error());
  auto purges = write_purges(header.agent_id, change);
  if (!purges) {
    drop_uncommitted(relative, *committed);
    return tl::unexpected(purges.error());
  }
  std::vector<FileSize> files{{relative, *size}};
  std::uint64_t rows_changed = 0;
  for (const auto& purge : *purges) {
    files.push_back({purge.relative, purge.size});
    rows_changed += purge.rows_removed;
  }
  const std::string reason =
      fmt::format("{} rows {} {} files", rows_changed, what, purges->size());
  if (auto recorded = record_batch(header, "stored", reason, files, erased); !recorded) {
    drop_purges(*purges);
    drop_uncommitted(relative, *committed);
    return recorded;
  }
  on_committed(rows_changed, purges->size());
  if (auto installed = install_purges(*purges); !installed) {
    purges_pending_ = true;  // committed: the next store() or open() renames what is left
    return installed;
  }
  return {};
}

Result<std::vector<TenantStore::FileSize>> TenantStore::rows_files_of(std::string_view agent_id) {
  std::vector<FileSize> files;
  auto query = db_.prepare("SELECT path, committed_size FROM files ORDER BY path");
  if (!query) return tl::unexpected(query.error());
  while (true) {
    auto row = query->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    if (!is_rows_file_of(query->column_text(0), agent_id)) continue;
    files.push_back(
        {std::string(query->column_text(0)), static_cast<std::uint64_t>(query->column_int(1))});
  }
  return files;
}

Result<std::vector<TenantStore::Purge>> TenantStore::write_purges(const std::string& agent_id,
                                                                  const LineChange& change) {
  auto files = rows_files_of(agent_id);
  if (!files) return tl::unexpected(files.error());
  std::vector<Purge> purges;
  std::set<std::filesystem::path> folders;
  for (const auto& file : *files) {
    auto purge = write_purge(file.relative, file.size, change);
    if (!purge) {
      drop_purges(purges);
      return tl::unexpected(purge.error());
    }
    if (purge->rows_removed == 0) continue;
    folders.insert((out_dir_ / file.relative).parent_path());
    purges.push_back(std::move(*purge));
  }
  // The commit counts on every .purge being there after a power cut: its name too.
  if (auto synced = fsync_folders(folders); !synced) {
    drop_purges(purges);
    return tl::unexpected(synced.error());
  }
  return purges;
}

Result<TenantStore::Purge> TenantStore::write_purge(const std::string& relative,
                                                    std::uint64_t committed,
                                                    const LineChange& change) {
  const std::filesystem::path path = out_dir_ / relative;
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    if (errno == ENOENT && committed > 0) {
      return tl::unexpected(shortened_error(path, 0, committed));
    }
    if (errno == ENOENT) return Purge{relative, committed, 0};
    return make_error(ErrorCode::kIo, "cannot open {}: {}", path.string(), errno_text(errno));
  }
  const FdCloser in_closer{in};
  if (auto size = size_at_least(in, committed, path); !size) return tl::unexpected(size.error());

  // Only the committed bytes count: a tail beyond them was never acknowledged. A changed line
  // is (offset, length, replacement); an empty replacement removes the line.
  struct Changed {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::string replacement;
  };
  std::vector<Changed> removed;
  std::string replacement;
  auto scanned =
      for_each_line(in, committed, path, [&](std::uint64_t offset, std::string_view line) {
        replacement.clear();
        if (change(line, replacement)) {
          removed.push_back({offset, line.size(), std::move(replacement)});
          replacement = std::string();
        }
      });
  if (!scanned) return tl::unexpected(scanned.error());
  if (removed.empty()) return Purge{relative, committed, 0};

  const std::filesystem::path purge = purge_path(path);
  const int out = ::open(purge.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    return make_error(ErrorCode::kIo, "cannot open {} for writing: {}", purge.string(),
                      errno_text(errno));
  }
  const FdCloser out_closer{out};
  std::uint64_t read_from = 0;
  std::uint64_t written = 0;
  auto copy_to = [&](std::uint64_t end) {
    auto copied = copy_range(in, read_from, end - read_from, out, written, path, purge);
    written += end - read_from;
    return copied;
  };
  Result<void> copied;
  for (const Changed& changed : removed) {
    if (copied) copied = copy_to(changed.offset);
    if (copied && !changed.replacement.empty()) {
      copied = write_at(out, changed.replacement, static_cast<off_t>(written), purge);
      written += changed.replacement.size();
    }
    read_from = changed.offset + changed.length;
  }
  if (copied) copied = copy_to(committed);
  if (copied) copied = fsync_fd(out, purge);
  if (!copied) {
    (void)::unlink(purge.c_str());
    return tl::unexpected(copied.error());
  }
  return Purge{relative, written, removed.size()};
}

void TenantStore::drop_purges(const std::vector<Purge>& purges) {
  for (const auto& purge : purges) {
    if (::unlink(purge_path(out_dir_ / purge.relative).c_str()) != 0 && errno != ENOENT) {
      purges_pending_ = true;  // deleted by the next store() or open()
    }
  }
}

Result<void> TenantStore::install_purges(const std::vector<Purge>& purges) {
  std::set<std::filesystem::path> folders;
  for (const auto& purge : purges) {
    const std::filesystem::path path = out_dir_ / purge.relative;
    if (::rename(purge_path(path).c_str(), path.c_str()) != 0) {
      return make_error(ErrorCode::kIo, "cannot rename {} over {}: {}", purge_path(path).string(),
                        path.string(), errno_text(errno));
    }
    folders.insert(path.parent_path());
  }
  return fsync_folders(folders);
}

Result<void> TenantStore::reject(const frame::Header& header, std::string_view reason) {
  return record_batch(header, "rejected", reason, {});
}

Result<std::uint64_t> TenantStore::record_gap(std::string_view agent_id, std::string_view spool_id,
                                              std::uint64_t from_seq, std::uint64_t to_seq,
                                              std::uint64_t rows, std::string_view reason) {
  auto transaction = sqlite::Transaction::begin(db_);
  if (!transaction) return tl::unexpected(transaction.error());
  auto before = settled(agent_id, spool_id);
  if (!before) return tl::unexpected(before.error());
  const std::string now = now_text();
  auto insert = db_.prepare(
      "INSERT OR IGNORE INTO gaps (agent_id, spool_id, from_seq, to_seq, rows, reason, "
      "recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert) return tl::unexpected(insert.error());
  insert->bind(1, agent_id)
      .bind(2, spool_id)
      .bind(3, as_sql(from_seq))
      .bind(4, as_sql(to_seq))
      .bind(5, as_sql(rows))
      .bind(6, reason)
      .bind(7, now);
  if (auto ran = insert->run(); !ran) return tl::unexpected(ran.error());
  if (to_seq > *before) {
    auto settle = db_.prepare(
        "INSERT INTO spools (agent_id, spool_id, settled_seq, first_seen) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (agent_id, spool_id) DO UPDATE SET settled_seq = excluded.settled_seq");
    if (!settle) return tl::unexpected(settle.error());
    settle->bind(1, agent_id).bind(2, spool_id).bind(3, as_sql(to_seq)).bind(4, now);
    if (auto ran = settle->run(); !ran) return tl::unexpected(ran.error());
  }
  if (auto committed = transaction->commit(); !committed) return tl::unexpected(committed.error());
  return *before;
}

Result<std::optional<TenantStore::RekeySweep>> TenantStore::rekey_sweep_owed(
    std::string_view agent_id) {
  auto select =
      db_.prepare("SELECT version, stored FROM rekey_sweeps WHERE agent_id = ? AND stored > swept");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, agent_id).step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::nullopt;
  return RekeySweep{static_cast<std::uint32_t>(select->column_int(0)),
                    static_cast<std::uint64_t>(select->column_int(1))};
}

Result<void> TenantStore::settle_rekey_sweep(std::string_view agent_id, const RekeySweep& sweep) {
  auto update = db_.prepare("UPDATE rekey_sweeps SET swept = max(swept, ?2) WHERE agent_id = ?1");
  if (!update) return tl::unexpected(update.error());
  return update->bind(1, agent_id).bind(2, as_sql(sweep.stored)).run();
}

Result<std::vector<std::string>> TenantStore::pseudonyms_below(std::string_view agent_id,
                                                               std::uint32_t version) {
  auto files = rows_files_of(agent_id);
  if (!files) return tl::unexpected(files.error());
  std::set<std::string, std::less<>> found;
  for (const auto& file : *files) {
    const std::filesystem::path path = out_dir_ / file.relative;
    const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
      if (errno == ENOENT && file.size == 0) continue;
      return make_error(ErrorCode::kIo, "cannot open {}: {}", path.string(), errno_text(errno));
    }
    const FdCloser closer{in};
    auto scanned = for_each_line(in, file.size, path, [&](std::uint64_t, std::string_view line) {
      for_each_token(line, [&](std::size_t, std::string_view token) {
        const auto token_version = pseudonym_version(token);
        if (token_version && *token_version < version && !found.contains(token)) {
          found.emplace(token);
        }
      });
    });
    if (!scanned) return tl::unexpected(scanned.error());
  }
  return std::vector<std::string>(found.begin(), found.end());
}

Result<void> TenantStore::append_command_result(std::string_view agent_id, std::string_view json) {
  if (!is_safe_path_part(agent_id)) {
    return make_error(ErrorCode::kInvalidArgument, "agent id is not a safe folder name");
  }
  if (auto dir = ensure_dir(std::string(agent_id)); !dir) return dir;
  const std::filesystem::path path = out_dir_ / std::string(agent_id) / "commands.jsonl";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "cannot open {} for writing: {}", path.string(),
                      errno_text(errno));
  }
  std::string line(json);
  line.push_back('\n');
  std::string_view data = line;
  Result<void> result;
  while (!data.empty()) {
    const ssize_t wrote = ::write(fd, data.data(), data.size());
    if (wrote < 0) {
      if (errno == EINTR) continue;
      result = make_error(ErrorCode::kIo, "cannot write {}: {}", path.string(), errno_text(errno));
      break;
    }
    data.remove_prefix(static_cast<std::size_t>(wrote));
  }
  if (result && ::fsync(fd) != 0) {
    result = make_error(ErrorCode::kIo, "cannot fsync {}: {}", path.string(), errno_text(errno));
  }
  ::close(fd);
  return result;
}

}  // namespace ferry::tenant
