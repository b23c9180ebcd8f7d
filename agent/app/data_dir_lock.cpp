#include "agent/app/data_dir_lock.hpp"

#include "common/error/path_text.hpp"

namespace ferry::app {

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  auto lock = fs::FileLock::exclusive(data_dir / "ferry.lock", fs::FileLock::Wait::kNot);
  if (!lock) {
    if (lock.error().code == ErrorCode::kUnavailable) {
      return make_error(ErrorCode::kUnavailable,
                        "another Ferry process (the running agent?) owns {}; stop it first, or "
                        "let it do the work",
                        path_text(data_dir));
    }
    return tl::unexpected(lock.error());
  }
  return DataDirLock(std::move(*lock));
}

}  // namespace ferry::app
