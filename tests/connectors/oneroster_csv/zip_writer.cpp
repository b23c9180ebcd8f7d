#include "tests/connectors/oneroster_csv/zip_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

namespace ferry::connectors::oneroster_csv::test {

void write_zip(const std::filesystem::path& zip,
               const std::vector<std::pair<std::string, std::string>>& entries) {
  struct archive* out = archive_write_new();
  REQUIRE(out != nullptr);
  REQUIRE(archive_write_set_format_zip(out) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(out, zip.string().c_str()) == ARCHIVE_OK);
  for (const auto& [name, content] : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_mtime(entry, 1767225600, 0);  // fixed: tests never depend on the clock
    REQUIRE(archive_write_header(out, entry) == ARCHIVE_OK);
    if (!content.empty()) {
      REQUIRE(archive_write_data(out, content.data(), content.size()) ==
              static_cast<la_ssize_t>(content.size()));
    }
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(out) == ARCHIVE_OK);
  archive_write_free(out);
}

}  // namespace ferry::connectors::oneroster_csv::test
