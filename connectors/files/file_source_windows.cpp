// Files on Windows (file_source.hpp): CreateFileW with the UTF-16 path, ReadFile.
#include "connectors/files/file_source.hpp"

#include <windows.h>

#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"

namespace ferry::connectors::files {
namespace {

HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }

// Opens `path` for reading; a folder with FILE_FLAG_BACKUP_SEMANTICS, as Windows requires.
HANDLE open_for_reading(const std::filesystem::path& path, bool folder) {
  return ::CreateFileW(
      path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
      OPEN_EXISTING, folder ? FILE_FLAG_BACKUP_SEMANTICS : FILE_ATTRIBUTE_NORMAL, nullptr);
}

std::string grant_fix(const std::filesystem::path& path, bool folder) {
  return "give the service's account read access: icacls \"" + path_text(path) + "\" /grant " +
         "\"NT SERVICE\\ferry:" + (folder ? "(OI)(CI)RX" : "R") + "\"";
}

}  // namespace

Result<std::unique_ptr<FileSource>> FileSource::open(const std::filesystem::path& path) {
  HANDLE file = open_for_reading(path, false);
  if (file == INVALID_HANDLE_VALUE) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
      return make_error(ErrorCode::kNotFound, "{} does not exist", path_text(path));
    }
    if (error == ERROR_ACCESS_DENIED) {
      return make_error(ErrorCode::kPermission,
                        "{} is not readable by this user: let the ferry service user read it "
                        "({})",
                        path_text(path), grant_fix(path, false));
    }
    return make_error(ErrorCode::kIo, "cannot open {}: {}", path_text(path),
                      env::windows::system_message(error));
  }
  return std::unique_ptr<FileSource>(new FileSource(reinterpret_cast<std::intptr_t>(file), path));
}

FileSource::~FileSource() { ::CloseHandle(as_handle(handle_)); }

Result<std::size_t> FileSource::read(std::span<char> buffer) {
  DWORD got = 0;
  const DWORD size = static_cast<DWORD>(std::min<std::size_t>(buffer.size(), 1u << 30));
  if (!::ReadFile(as_handle(handle_), buffer.data(), size, &got, nullptr)) {
    return make_error(ErrorCode::kIo, "reading {} failed: {}", path_text(path_),
                      env::windows::system_message(::GetLastError()));
  }
  return got;
}

std::optional<std::string> read_permission_fix(const std::filesystem::path& path, bool folder) {
  HANDLE file = open_for_reading(path, folder);
  if (file != INVALID_HANDLE_VALUE) {
    ::CloseHandle(file);
    return std::nullopt;
  }
  if (::GetLastError() != ERROR_ACCESS_DENIED) return std::nullopt;  // the open says why
  return grant_fix(path, folder);
}

}  // namespace ferry::connectors::files
