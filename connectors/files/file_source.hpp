// A ByteSource over a file on disk. One file per system: file_source_posix.cpp,
// file_source_windows.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "connectors/files/byte_source.hpp"

namespace ferry::connectors::files {

class FileSource final : public ByteSource {
 public:
  // Errors: kNotFound, kPermission (with the fix), kIo.
  static Result<std::unique_ptr<FileSource>> open(const std::filesystem::path& path);

  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Result<std::size_t> read(std::span<char> buffer) override;

 private:
  FileSource(std::intptr_t handle, std::filesystem::path path)
      : handle_(handle), path_(std::move(path)) {}

  std::intptr_t handle_;  // a file descriptor, or a HANDLE
  std::filesystem::path path_;
};

// Whether this process may read `path` (a folder: list it and open what is in it). nullopt when it
// may; otherwise how to let the service's account read it ("chmod o+rx, or add the user to its
// group"; on Windows the icacls command).
std::optional<std::string> read_permission_fix(const std::filesystem::path& path, bool folder);

}  // namespace ferry::connectors::files
