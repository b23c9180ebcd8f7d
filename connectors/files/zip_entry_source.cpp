#include "connectors/files/zip_entry_source.hpp"

#include <archive.h>

#include "common/error/path_text.hpp"

namespace ferry::connectors::files {

void ArchiveFree::operator()(struct archive* archive) const noexcept { archive_read_free(archive); }

namespace {

constexpr std::size_t kBlock = 64 * 1024;

// The file name as the system gives it: bytes on Linux, UTF-16 on Windows (a narrow name there
// would go through the code page and fail for a folder named outside it).
[[maybe_unused]] int open_file(struct archive* archive, const char* name) {
  return archive_read_open_filename(archive, name, kBlock);
}
[[maybe_unused]] int open_file(struct archive* archive, const wchar_t* name) {
  return archive_read_open_filename_w(archive, name, kBlock);
}

}  // namespace

Result<ArchivePtr> open_zip(const std::filesystem::path& zip) {
  const std::string path = path_text(zip);
  ArchivePtr archive(archive_read_new());
  if (!archive) return make_error(ErrorCode::kInternal, "libarchive: out of memory");
  archive_read_support_format_zip(archive.get());
  if (open_file(archive.get(), zip.c_str()) != ARCHIVE_OK) {
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
