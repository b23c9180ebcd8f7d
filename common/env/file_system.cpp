#include "common/env/file_system.hpp"

#include <system_error>

#include "common/env/file_system_detail.hpp"
#include "common/error/path_text.hpp"

namespace ferry::env {

namespace fs = std::filesystem;

namespace detail {

tl::unexpected<Error> failed(std::string_view what, const fs::path& path,
                             const std::error_code& ec) {
  const ErrorCode code = ec == std::errc::permission_denied || ec == std::errc::read_only_file_system
                             ? ErrorCode::kPermission
                             : ErrorCode::kIo;
  return make_error(code, "cannot {} {}: {}", what, path_text(path), ec.message());
}

}  // namespace detail

using detail::failed;

Result<bool> RealFileSystem::exists(const fs::path& path) const {
  std::error_code ec;
  const bool there = fs::exists(path, ec);
  if (ec) return failed("look at", path, ec);
  return there;
}

Result<void> RealFileSystem::create_directories(const fs::path& path) const {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return failed("create the folder", path, ec);
  return {};
}

Result<void> RealFileSystem::remove_all(const fs::path& path) const {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return failed("remove", path, ec);
  return {};
}

const FileSystem& real_file_system() {
  static const RealFileSystem file_system;
  return file_system;
}

}  // namespace ferry::env
