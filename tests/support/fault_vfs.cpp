#include "tests/support/fault_vfs.hpp"

#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

namespace ferry::test {

namespace {

// The bytes a write or truncation replaced, to put back at a power cut.
struct Undo {
  sqlite3_int64 offset = 0;
  std::string bytes;
};

// What happened to one file since its last completed sync.
struct Shadow {
  std::optional<sqlite3_int64> synced_size;  // its length then (set at the first change)
  std::vector<Undo> undo;                    // oldest first
};

struct Fault {
  FaultVfs::Op op;
  FaultVfs::File file;
  int code;
  std::uint64_t nth;
  std::uint64_t times;
  std::optional<int> exit_code;  // ends the process instead of returning `code`
  std::uint64_t seen = 0;
  std::uint64_t returned = 0;
};

constexpr std::size_t kHandleAlign = 16;

}  // namespace

struct FaultVfs::Impl {
  std::string folder;  // canonical, with a trailing '/'
  sqlite3_vfs* base = nullptr;
  sqlite3_vfs vfs{};
  sqlite3_io_methods methods{};

  mutable std::mutex mutex;
  std::vector<Fault> faults;
  std::uint64_t returned = 0;
  std::uint64_t operations = 0;
  std::optional<std::uint64_t> power_loss_at;  // operation number (1-based)
  bool powered_off = false;
  std::map<std::string, Shadow> shadows;

  bool watched(const char* path) const {
    return path != nullptr && std::string_view(path).starts_with(folder);
  }

  // Counts an operation on a watched file and says what it must return instead of running: a
  // power cut or an injected fault (SQLITE_OK: run it).
  int intercept(Op op, File kind, int power_off_code) {
    ++operations;
    if (power_loss_at && operations >= *power_loss_at) powered_off = true;
    if (powered_off) return power_off_code;
    for (auto& fault : faults) {
      if (fault.op != op || (fault.file != File::kAny && fault.file != kind)) continue;
      ++fault.seen;
      if (fault.seen >= fault.nth && (fault.times == 0 || fault.returned < fault.times)) {
        if (fault.exit_code) _exit(*fault.exit_code);
        ++fault.returned;
        ++returned;
        return fault.code;
      }
    }
    return SQLITE_OK;
  }
};

namespace {

// SQLite allocates vfs.szOsFile bytes per open file: this header, then the real VFS's file.
struct Handle {
  sqlite3_file file;  // first: SQLite reads pMethods from it
  FaultVfs::Impl* impl = nullptr;
  bool watched = false;
  FaultVfs::File kind = FaultVfs::File::kAny;
  std::string path;

  sqlite3_file* real();
};

constexpr std::size_t kHandleSize =
    (sizeof(Handle) + kHandleAlign - 1) / kHandleAlign * kHandleAlign;

sqlite3_file* Handle::real() {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(this) + kHandleSize);
}

Handle* handle_of(sqlite3_file* file) { return reinterpret_cast<Handle*>(file); }

sqlite3_int64 size_of(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) return 0;
  return size;
}

// Keeps what [offset, offset + amount) held before a change, for a power cut to put back.
void remember(FaultVfs::Impl& impl, Handle& handle, sqlite3_int64 offset, sqlite3_int64 amount) {
  sqlite3_file* real = handle.real();
  Shadow& shadow = impl.shadows[handle.path];
  const sqlite3_int64 size = size_of(real);
  if (!shadow.synced_size) shadow.synced_size = size;
  if (offset >= size) return;
  const sqlite3_int64 kept = std::min(amount, size - offset);
  Undo undo{offset, std::string(static_cast<std::size_t>(kept), '\0')};
  (void)real->pMethods->xRead(real, undo.bytes.data(), static_cast<int>(kept), offset);
  shadow.undo.push_back(std::move(undo));
}

int fault_close(sqlite3_file* file) {
  Handle* handle = handle_of(file);
  sqlite3_file* real = handle->real();
  const int rc = real->pMethods != nullptr ? real->pMethods->xClose(real) : SQLITE_OK;
  handle->~Handle();
  return rc;
}

int fault_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xRead(real, out, amount, offset);
}

int fault_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  Handle* handle = handle_of(file);
  sqlite3_file* real = handle->real();
  if (handle->watched) {
    FaultVfs::Impl& impl = *handle->impl;
    std::lock_guard lock(impl.mutex);
    if (const int rc = impl.intercept(FaultVfs::Op::kWrite, handle->kind, SQLITE_IOERR_WRITE);
        rc != SQLITE_OK) {
      return rc;
    }
    remember(impl, *handle, offset, amount);
  }
  return real->pMethods->xWrite(real, data, amount, offset);
}

int fault_truncate(sqlite3_file* file, sqlite3_int64 size) {
  Handle* handle = handle_of(file);
  sqlite3_file* real = handle->real();
  if (handle->watched) {
    FaultVfs::Impl& impl = *handle->impl;
    std::lock_guard lock(impl.mutex);
    if (const int rc = impl.intercept(FaultVfs::Op::kTruncate, handle->kind, SQLITE_IOERR_TRUNCATE);
        rc != SQLITE_OK) {
      return rc;
    }
    const sqlite3_int64 current = size_of(real);
    remember(impl, *handle, size, current > size ? current - size : 0);
  }
  return real->pMethods->xTruncate(real, size);
}

int fault_sync(sqlite3_file* file, int flags) {
  Handle* handle = handle_of(file);
  sqlite3_file* real = handle->real();
  if (!handle->watched) return real->pMethods->xSync(real, flags);
  FaultVfs::Impl& impl = *handle->impl;
  std::lock_guard lock(impl.mutex);
  if (const int rc = impl.intercept(FaultVfs::Op::kSync, handle->kind, SQLITE_IOERR_FSYNC);
      rc != SQLITE_OK) {
    return rc;
  }
  const int rc = real->pMethods->xSync(real, flags);
  if (rc == SQLITE_OK) impl.shadows.erase(handle->path);  // all of it is on the disk now
  return rc;
}

int fault_file_size(sqlite3_file* file, sqlite3_int64* size) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xFileSize(real, size);
}

int fault_lock(sqlite3_file* file, int level) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xLock(real, level);
}

int fault_unlock(sqlite3_file* file, int level) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xUnlock(real, level);
}

int fault_check_reserved(sqlite3_file* file, int* out) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xCheckReservedLock(real, out);
}

int fault_file_control(sqlite3_file* file, int op, void* arg) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xFileControl(real, op, arg);
}

int fault_sector_size(sqlite3_file* file) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xSectorSize(real);
}

int fault_device(sqlite3_file* file) {
  // No promise of atomic or ordered writes: the model is a disk that keeps only what was synced.
  sqlite3_file* real = handle_of(file)->real();
  constexpr int kPromises = SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_ATOMIC512 | SQLITE_IOCAP_ATOMIC1K |
                            SQLITE_IOCAP_ATOMIC2K | SQLITE_IOCAP_ATOMIC4K | SQLITE_IOCAP_ATOMIC8K |
                            SQLITE_IOCAP_ATOMIC16K | SQLITE_IOCAP_ATOMIC32K |
                            SQLITE_IOCAP_ATOMIC64K | SQLITE_IOCAP_SAFE_APPEND |
                            SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_BATCH_ATOMIC;
  return real->pMethods->xDeviceCharacteristics(real) & ~kPromises;
}

int fault_shm_map(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xShmMap(real, page, page_size, extend, out);
}

int fault_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xShmLock(real, offset, n, flags);
}

void fault_shm_barrier(sqlite3_file* file) {
  sqlite3_file* real = handle_of(file)->real();
  real->pMethods->xShmBarrier(real);
}

int fault_shm_unmap(sqlite3_file* file, int delete_flag) {
  sqlite3_file* real = handle_of(file)->real();
  return real->pMethods->xShmUnmap(real, delete_flag);
}

int fault_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  // No memory-mapped reads: every read goes through xRead, as the shadow expects.
  static_cast<void>(file);
  static_cast<void>(offset);
  static_cast<void>(amount);
  *out = nullptr;
  return SQLITE_OK;
}

int fault_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  static_cast<void>(file);
  static_cast<void>(offset);
  static_cast<void>(page);
  return SQLITE_OK;
}

FaultVfs::Impl& impl_of(sqlite3_vfs* vfs) { return *static_cast<FaultVfs::Impl*>(vfs->pAppData); }

int fault_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
               int* out_flags) {
  FaultVfs::Impl& impl = impl_of(vfs);
  auto* handle = new (file) Handle;
  handle->file.pMethods = nullptr;
  handle->impl = &impl;
  handle->watched = impl.watched(name);
  if (name != nullptr) handle->path = name;
  if ((flags & SQLITE_OPEN_MAIN_DB) != 0) handle->kind = FaultVfs::File::kDatabase;
  if ((flags & SQLITE_OPEN_WAL) != 0) handle->kind = FaultVfs::File::kWal;
  sqlite3_file* real = handle->real();
  std::memset(real, 0, static_cast<std::size_t>(impl.base->szOsFile));
  const int rc = impl.base->xOpen(impl.base, name, real, flags, out_flags);
  if (rc != SQLITE_OK || real->pMethods == nullptr) {
    if (real->pMethods != nullptr) real->pMethods->xClose(real);
    handle->~Handle();
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  handle->file.pMethods = &impl.methods;
  return SQLITE_OK;
}

int fault_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  FaultVfs::Impl& impl = impl_of(vfs);
  if (impl.watched(name)) {
    std::lock_guard lock(impl.mutex);
    if (impl.powered_off) return SQLITE_IOERR_DELETE;
    impl.shadows.erase(name);
  }
  return impl.base->xDelete(impl.base, name, sync_dir);
}

int fault_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  sqlite3_vfs* base = impl_of(vfs).base;
  return base->xAccess(base, name, flags, out);
}

int fault_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  sqlite3_vfs* base = impl_of(vfs).base;
  return base->xFullPathname(base, name, size, out);
}

// Puts back what a power cut would have lost: the undo log newest first, then the length.
void restore_file(const std::string& path, const Shadow& shadow) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return;  // removed since: nothing to put back
  for (auto undo = shadow.undo.rbegin(); undo != shadow.undo.rend(); ++undo) {
    if (::pwrite(fd, undo->bytes.data(), undo->bytes.size(), undo->offset) < 0) {
      ::close(fd);
      throw std::runtime_error("fault_vfs: cannot restore " + path);
    }
  }
  if (shadow.synced_size && ::ftruncate(fd, *shadow.synced_size) != 0) {
    ::close(fd);
    throw std::runtime_error("fault_vfs: cannot truncate " + path);
  }
  ::close(fd);
}

}  // namespace

FaultVfs::FaultVfs(std::filesystem::path folder) : impl_(std::make_unique<Impl>()) {
  impl_->folder = std::filesystem::canonical(folder).string() + "/";
  impl_->base = sqlite3_vfs_find(nullptr);
  if (impl_->base == nullptr) throw std::runtime_error("fault_vfs: SQLite has no default VFS");
  impl_->vfs = *impl_->base;
  impl_->vfs.pNext = nullptr;
  impl_->vfs.zName = "ferry-fault";
  impl_->vfs.pAppData = impl_.get();
  impl_->vfs.szOsFile = static_cast<int>(kHandleSize) + impl_->base->szOsFile;
  impl_->vfs.xOpen = &fault_open;
  impl_->vfs.xDelete = &fault_delete;
  impl_->vfs.xAccess = &fault_access;
  impl_->vfs.xFullPathname = &fault_full_pathname;

  sqlite3_io_methods& m = impl_->methods;
  m.iVersion = 3;
  m.xClose = &fault_close;
  m.xRead = &fault_read;
  m.xWrite = &fault_write;
  m.xTruncate = &fault_truncate;
  m.xSync = &fault_sync;
  m.xFileSize = &fault_file_size;
  m.xLock = &fault_lock;
  m.xUnlock = &fault_unlock;
  m.xCheckReservedLock = &fault_check_reserved;
  m.xFileControl = &fault_file_control;
  m.xSectorSize = &fault_sector_size;
  m.xDeviceCharacteristics = &fault_device;
  m.xShmMap = &fault_shm_map;
  m.xShmLock = &fault_shm_lock;
  m.xShmBarrier = &fault_shm_barrier;
  m.xShmUnmap = &fault_shm_unmap;
  m.xFetch = &fault_fetch;
  m.xUnfetch = &fault_unfetch;
  if (sqlite3_vfs_register(&impl_->vfs, 1) != SQLITE_OK) {
    throw std::runtime_error("fault_vfs: cannot register the VFS");
  }
}

FaultVfs::~FaultVfs() {
  sqlite3_vfs_unregister(&impl_->vfs);
  sqlite3_vfs_register(impl_->base, 1);
}

void FaultVfs::fail(Op op, File file, int sqlite_code, std::uint64_t nth, std::uint64_t times) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(Fault{op, file, sqlite_code, nth, times, std::nullopt, 0, 0});
}

void FaultVfs::exit_at(Op op, File file, std::uint64_t nth, int exit_code) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(Fault{op, file, SQLITE_OK, nth, 1, exit_code, 0, 0});
}

void FaultVfs::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.clear();
}

std::uint64_t FaultVfs::faults_returned() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->returned;
}

void FaultVfs::power_loss_at(std::uint64_t nth) {
  std::lock_guard lock(impl_->mutex);
  impl_->power_loss_at = impl_->operations + nth;
}

bool FaultVfs::powered_off() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->powered_off;
}

void FaultVfs::restore_synced_state() {
  std::lock_guard lock(impl_->mutex);
  for (const auto& [path, shadow] : impl_->shadows) restore_file(path, shadow);
  impl_->shadows.clear();
  // The -shm files are memory SQLite rebuilds from the WAL: a power cut leaves nothing of use.
  for (const auto& entry : std::filesystem::directory_iterator(impl_->folder)) {
    if (entry.path().string().ends_with("-shm")) std::filesystem::remove(entry.path());
  }
  impl_->powered_off = false;
  impl_->power_loss_at.reset();
  impl_->operations = 0;
}

std::uint64_t FaultVfs::operations() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->operations;
}

}  // namespace ferry::test
