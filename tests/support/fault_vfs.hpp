// A SQLite VFS for fault tests: it wraps the process's default VFS ("unix") and, while a
// FaultVfs object lives, is the default itself, so every database the code under test opens in
// this process goes through it (the spool's included) without a seam in that code.
//
// It injects the faults of the disk itself:
//   - an error (SQLITE_FULL for a full disk, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, ...) on the
//     writes, syncs or truncations of one kind of file (the database, its WAL), from the n-th on;
//   - power loss: from the n-th write, sync or truncation on (counted over every file), nothing
//     reaches the disk any more, and restore_synced_state() then undoes every write that no
//     completed xSync covered, file by file, as a power cut would (the -shm file, memory that
//     SQLite rebuilds from the WAL, is removed). A shadow of each file's synced state is kept as
//     an undo log: the bytes a write overwrote (and the length the file had) since its last sync.
//
// Only files under the folder given to the constructor are watched and faulted; other files pass
// through untouched. Thread-safe (one mutex); meant for one test at a time in a process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct sqlite3_vfs;

namespace ferry::test {

class FaultVfs {
 public:
  enum class File { kDatabase, kWal, kAny };
  enum class Op { kWrite, kSync, kTruncate };

  // Registers itself as SQLite's default VFS for files under `folder`.
  explicit FaultVfs(std::filesystem::path folder);
  // Unregisters; the previous default is the default again.
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;

  // From the `nth` (1-based) such operation on, it fails with `sqlite_code` and changes nothing;
  // `times` failures, then it succeeds again (0: until clear_faults()).
  void fail(Op op, File file, int sqlite_code, std::uint64_t nth = 1, std::uint64_t times = 0);
  void clear_faults();
  // The `nth` such operation ends the process at once (_exit(exit_code)), before it runs: a crash
  // at exactly that instant (a kill amid a checkpoint, say).
  void exit_at(Op op, File file, std::uint64_t nth, int exit_code);
  // How many times an injected fault was returned.
  std::uint64_t faults_returned() const;

  // The power goes off just before the `nth` write, sync or truncation (counted from now).
  void power_loss_at(std::uint64_t nth);
  bool powered_off() const;
  // After the code under test closed its databases: every file as its last completed sync left
  // it; the power is on again and the operation count restarts.
  void restore_synced_state();

  // Writes, syncs and truncations under the folder so far (counted since construction or the
  // last restore_synced_state).
  std::uint64_t operations() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::test
