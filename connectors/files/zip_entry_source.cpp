#include "connectors/files/zip_entry_source.hpp"

#include <archive.h>

namespace ferry::connectors::files {

void ArchiveFree::operator()(struct archive* archive) const noexcept { archive_read_free(archive); }

Result<ArchivePtr> open_zip(const std::string& path) {
  ArchivePtr archive(archive_read_new());
  if (!archive) return make_error(ErrorCode::kInternal, "libarchive: out of memory");
  archive_read_support_format_zip(archive.get());
  if (archive_read_open_filename(archive.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    const char* reason = archive_error_string(archive.get());
    return make_error(ErrorCode::kCorrupt,
                      "{} cannot be read as a zip file ({}): set path to the export folder or to "
                      "a .zip file that holds manifest.csv",
                      path, reason != nullptr ? reason : "unknown reason");
  }
  return archive;
}

Result<std::size_t> ZipEntrySource::read(std::span<char> buffer) {
  for (;;) {
    const la_ssize_t got = archive_read_data(archive_.get(), buffer.data(), buffer.size());
    if (got >= 0) return static_cast<std::size_t>(got);
    if (got == ARCHIVE_RETRY || got == ARCHIVE_WARN) continue;
    const char* reason = archive_error_string(archive_.get());
    return make_error(ErrorCode::kCorrupt,
                      "{} cannot be unpacked ({}): export the zip again, without a password",
                      label_, reason != nullptr ? reason : "unknown reason");
  }
}

}  // namespace ferry::connectors::files
