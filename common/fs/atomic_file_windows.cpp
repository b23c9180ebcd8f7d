// Atomic files on Windows (atomic_file.hpp): the temporary file is made with CreateFileW and its
// access list from the start, written, FlushFileBuffers, then renamed over the target with
// MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH), which returns once the rename
// is on disk (Windows has no fsync of a folder). Without REPLACE_EXISTING the rename fails when
// the target exists, which is how Overwrite::kRefuse works, as link() does on Linux.
#include "common/fs/atomic_file.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <windows.h>
// After windows.h:
#include <aclapi.h>
#include <fmt/format.h>

#include "common/env/windows_acl.hpp"
#include "common/env/windows_handle.hpp"
#include "common/error/path_text.hpp"

namespace ferry::fs {
namespace {

namespace win = env::windows;

using Handle = env::windows::UniqueHandle;

Error system_error(ErrorCode code, const std::string& what, const std::filesystem::path& path,
                   DWORD error) {
  return Error{code,
               fmt::format("cannot {} {}: {}", what, path_text(path), win::system_message(error))};
}

// The security attributes for the new file: the list `access` stands for, or the replaced file's
// own for kAsReplaced (nullopt when it has none to copy: the owner-only list then).
struct Descriptor {
  std::optional<win::ProtectedDescriptor> made;
  std::unique_ptr<void, win::LocalDeleter> copied;
  SECURITY_ATTRIBUTES copied_attributes{};

  SECURITY_ATTRIBUTES* attributes() { return made ? made->attributes() : &copied_attributes; }
};

Result<void> describe(Descriptor& out, Access access, const std::filesystem::path& path) {
  if (access == Access::kAsReplaced) {
    PSECURITY_DESCRIPTOR raw = nullptr;
    if (::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                nullptr, nullptr, nullptr, &raw) == ERROR_SUCCESS) {
      out.copied.reset(raw);
      out.copied_attributes = {sizeof(SECURITY_ATTRIBUTES), raw, FALSE};
      return {};
    }
    access = Access::kOwnerOnly;
  }
  auto acl = win::owner_only_acl(false, access == Access::kAllRead);
  if (!acl) return tl::unexpected(acl.error());
  out.made.emplace(std::move(*acl));
  return {};
}

std::wstring random_suffix() {
  std::random_device device;
  return std::to_wstring(device()) + std::to_wstring(device());
}

Result<void> write_all(HANDLE file, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(content.size(), 1u << 30));
    DWORD written = 0;
    if (!::WriteFile(file, content.data(), chunk, &written, nullptr)) {
      return tl::unexpected(system_error(ErrorCode::kIo, "write", path, ::GetLastError()));
    }
    content.remove_prefix(written);
  }
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   Access access, Overwrite overwrite) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  Descriptor descriptor;
  if (auto described = describe(descriptor, access, path); !described) return described;
  const std::filesystem::path temp =
      dir / (L"." + path.filename().wstring() + L".tmp-" + random_suffix());
  Handle file(::CreateFileW(temp.c_str(), GENERIC_WRITE, 0, descriptor.attributes(), CREATE_NEW,
                            FILE_ATTRIBUTE_NORMAL, nullptr));
  if (file.get() == INVALID_HANDLE_VALUE) {
    return tl::unexpected(system_error(ErrorCode::kIo, "create a file in", dir, ::GetLastError()));
  }
  auto fail = [&](Error error) -> Result<void> {
    file.reset();
    ::DeleteFileW(temp.c_str());
    return tl::unexpected(std::move(error));
  };
  if (auto written = write_all(file.get(), content, temp); !written) {
    return fail(written.error());
  }
  if (!::FlushFileBuffers(file.get())) {
    return fail(system_error(ErrorCode::kIo, "flush", temp, ::GetLastError()));
  }
  file.reset();
  DWORD flags = MOVEFILE_WRITE_THROUGH;
  if (overwrite == Overwrite::kAllow) flags |= MOVEFILE_REPLACE_EXISTING;
  if (!::MoveFileExW(temp.c_str(), path.c_str(), flags)) {
    const DWORD error = ::GetLastError();
    if (overwrite == Overwrite::kRefuse &&
        (error == ERROR_ALREADY_EXISTS || error == ERROR_FILE_EXISTS)) {
      return fail(Error{ErrorCode::kAlreadyExists, path_text(path) + " already exists"});
    }
    return fail(system_error(ErrorCode::kIo, overwrite == Overwrite::kRefuse ? "create" : "replace",
                             path, error));
  }
  return {};
}

Result<void> ensure_private_dir(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return {};
  const std::filesystem::path parent = path.parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return make_error(ErrorCode::kIo, "cannot create folder {}: {}", path_text(parent),
                        ec.message());
    }
  }
  auto acl = win::owner_only_acl(true);
  if (!acl) return tl::unexpected(acl.error());
  win::ProtectedDescriptor descriptor(std::move(*acl));
  if (!::CreateDirectoryW(path.c_str(), descriptor.attributes()) &&
      ::GetLastError() != ERROR_ALREADY_EXISTS) {
    return tl::unexpected(system_error(ErrorCode::kIo, "create folder", path, ::GetLastError()));
  }
  return {};
}

Result<std::filesystem::path> make_private_temp_dir(std::string_view prefix) {
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot find the temporary folder: {}", ec.message());
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::filesystem::path candidate =
        base / (std::filesystem::u8path(prefix).wstring() + random_suffix());
    auto acl = win::owner_only_acl(true);
    if (!acl) return tl::unexpected(acl.error());
    win::ProtectedDescriptor descriptor(std::move(*acl));
    if (::CreateDirectoryW(candidate.c_str(), descriptor.attributes())) return candidate;
    if (::GetLastError() != ERROR_ALREADY_EXISTS) {
      return tl::unexpected(
          system_error(ErrorCode::kIo, "create a private folder in", base, ::GetLastError()));
    }
  }
  return make_error(ErrorCode::kIo, "cannot create a private folder in {}: every name was taken",
                    path_text(base));
}

}  // namespace ferry::fs
