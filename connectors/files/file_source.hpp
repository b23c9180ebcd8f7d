// A ByteSource over a file on disk.
#pragma once

#include <filesystem>
#include <memory>

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
  FileSource(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::filesystem::path path_;
};

}  // namespace ferry::connectors::files
