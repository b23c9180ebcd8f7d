// A ByteSource over one entry of a zip archive, decompressed as it is read (libarchive).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "connectors/files/byte_source.hpp"

struct archive;

namespace ferry::connectors::files {

struct ArchiveFree {
  void operator()(struct archive* archive) const noexcept;
};
// A libarchive read handle; freed (and its file closed) with the pointer.
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

// A read handle for the zip file at `path`, before its first header. Errors say what is wrong.
Result<ArchivePtr> open_zip(const std::filesystem::path& zip);

class ZipEntrySource final : public ByteSource {
 public:
  // `archive` has just read the header of the entry; `label` names it in messages
  // ("users.csv in /srv/or.zip").
  ZipEntrySource(ArchivePtr archive, std::string label)
      : archive_(std::move(archive)), label_(std::move(label)) {}

  Result<std::size_t> read(std::span<char> buffer) override;

 private:
  ArchivePtr archive_;
  std::string label_;
};

}  // namespace ferry::connectors::files
