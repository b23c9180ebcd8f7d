// Reading small files on Windows (read_file.hpp): CreateFileW with the UTF-16 path, ReadFile.
#include "common/fs/read_file.hpp"

#include <memory>

#include <windows.h>

#include "common/env/windows_acl.hpp"
#include "common/env/windows_handle.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/read_handle.hpp"

namespace ferry::fs {
namespace {

using Handle = env::windows::UniqueHandle;

Result<Handle> open_regular(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorCode::kIo, "cannot read {}: it is a directory, not a file",
                      path_text(path));
  }
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                              nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    const DWORD error = ::GetLastError();
    const ErrorCode code = error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND
                               ? ErrorCode::kNotFound
                           : error == ERROR_ACCESS_DENIED ? ErrorCode::kPermission
                                                          : ErrorCode::kIo;
    return make_error(code, "cannot read {}: {}", path_text(path),
                      env::windows::system_message(error));
  }
  return Handle(file);
}

}  // namespace

Result<std::string> read_handle(void* handle, const std::filesystem::path& path,
                                std::size_t max_size) {
  std::string content;
  char buffer[8192];
  for (;;) {
    DWORD got = 0;
    if (!::ReadFile(handle, buffer, sizeof buffer, &got, nullptr)) {
      return make_error(ErrorCode::kIo, "cannot read {}: {}", path_text(path),
                        env::windows::system_message(::GetLastError()));
    }
    if (got == 0) return content;
    if (content.size() + got > max_size) {
      return make_error(ErrorCode::kInvalidArgument, "cannot read {}: larger than {} bytes",
                        path_text(path), max_size);
    }
    content.append(buffer, got);
  }
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_size) {
  auto file = open_regular(path);
  if (!file) return tl::unexpected(file.error());
  return read_handle(file->get(), path, max_size);
}

Result<void> check_readable(const std::filesystem::path& path) {
  auto file = open_regular(path);
  if (!file) return tl::unexpected(file.error());
  return {};
}

}  // namespace ferry::fs
