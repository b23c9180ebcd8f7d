#include "tests/tenant/tenant_store.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <fmt/chrono.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log/log.hpp"
#include "tests/tenant/path_part.hpp"

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
)sql";

std::string now_text() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

std::string errno_text(int error) { return std::strerror(error); }

std::int64_t as_sql(std::uint64_t value) { return static_cast<std::int64_t>(value); }

// The output file of a batch, relative to the output directory.
std::string relative_file(const frame::Header& header) {
  if (header.kind == "erase") return header.agent_id + "/erase.jsonl";
  return header.agent_id + "/" + header.source + "/" + header.stream + ".jsonl";
}

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

// Writes all of `data` at `offset`, then fsyncs.
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
  if (::fsync(fd) != 0) {
    return make_error(ErrorCode::kIo, "cannot fsync {}: {}", path.string(), errno_text(errno));
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
  if (auto repaired = store.repair_tails(); !repaired) return tl::unexpected(repaired.error());
  return store;
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
  if (header.kind != "rows" && header.kind != "erase") {
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown batch kind '{}' (expected rows or erase)", header.kind);
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
                                       std::string_view reason, const std::string* file,
                                       std::uint64_t file_size) {
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
  if (file != nullptr) {
    auto size = db_.prepare(
        "INSERT INTO files (path, committed_size) VALUES (?1, ?2) "
        "ON CONFLICT (path) DO UPDATE SET committed_size = excluded.committed_size");
    if (!size) return tl::unexpected(size.error());
    size->bind(1, *file).bind(2, as_sql(file_size));
    if (auto ran = size->run(); !ran) return ran;
  }
  return transaction->commit();
}

Result<void> TenantStore::store(const frame::Header& header, std::string_view plaintext) {
  if (auto storable = check_storable(header); !storable) return storable;
  auto placement = place(header);
  if (!placement) return tl::unexpected(placement.error());
  if (placement->order != Order::kNext) {
    return make_error(ErrorCode::kInternal, "store: seq {} is not the next batch (expected {})",
                      header.seq, placement->expected);
  }
  const std::string relative = relative_file(header);
  const std::filesystem::path path = out_dir_ / relative;
  auto committed = committed_size(relative);
  if (!committed) return tl::unexpected(committed.error());
  if (auto dir = ensure_dir(std::filesystem::path(relative).parent_path()); !dir) return dir;

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
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return make_error(ErrorCode::kIo, "cannot stat {}: {}", path.string(), errno_text(errno));
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size < *committed) {
    return make_error(ErrorCode::kCorrupt,
                      "{} holds {} bytes but tenant.db recorded {} committed: the file was "
                      "shortened or deleted outside ferry-tenant; restore it, or stop "
                      "ferry-tenant and start over with an empty output folder",
                      path.string(), size, *committed);
  }
  if (size > *committed) {
    // A tail appended before a crash whose commit never happened: the agent will send it again.
    if (::ftruncate(fd, static_cast<off_t>(*committed)) != 0) {
      return make_error(ErrorCode::kIo, "cannot truncate {}: {}", path.string(), errno_text(errno));
    }
    log::get("store")->warn("dropped uncommitted tail path={} bytes={}", relative,
                            size - *committed);
  }

  std::string_view data = plaintext;
  std::string with_newline;
  if (!data.empty() && data.back() != '\n') {
    with_newline.reserve(data.size() + 1);
    with_newline.append(data).push_back('\n');
    data = with_newline;
  }
  if (auto wrote = write_at(fd, data, static_cast<off_t>(*committed), path); !wrote) {
    (void)::ftruncate(fd, static_cast<off_t>(*committed));
    return wrote;
  }
  if (created) {
    if (auto synced = fsync_path(path.parent_path()); !synced) return synced;
  }
  const std::uint64_t new_size = *committed + data.size();
  if (auto recorded = record_batch(header, "stored", "", &relative, new_size); !recorded) {
    // Leave the file as the database knows it; the next store truncates anyway.
    (void)::ftruncate(fd, static_cast<off_t>(*committed));
    return recorded;
  }
  return {};
}

Result<void> TenantStore::reject(const frame::Header& header, std::string_view reason) {
  return record_batch(header, "rejected", reason, nullptr, 0);
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
