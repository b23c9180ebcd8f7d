#include "connectors/files/zip_export.hpp"

#include <algorithm>

#include <archive.h>
#include <archive_entry.h>

#include "common/error/path_text.hpp"
#include "connectors/files/text.hpp"
#include "connectors/files/zip_entry_source.hpp"

namespace ferry::connectors::files {
namespace {

std::string entry_path(struct archive_entry* entry) {
  const char* path = archive_entry_pathname_utf8(entry);
  if (path == nullptr) path = archive_entry_pathname(entry);
  std::string_view text = path != nullptr ? path : "";
  while (text.starts_with("./")) text.remove_prefix(2);
  return std::string(text);
}

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

tl::unexpected<Error> header_error(struct archive* archive, const std::filesystem::path& zip) {
  const char* reason = archive_error_string(archive);
  return make_error(ErrorCode::kCorrupt, "{} is damaged ({}): copy or export the zip file again",
                    path_text(zip), reason != nullptr ? reason : "unknown reason");
}

}  // namespace

Result<void> ZipExport::list() {
  if (listed_) return {};
  auto archive = open_zip(zip_);
  if (!archive) return tl::unexpected(std::move(archive.error()));
  struct archive_entry* entry = nullptr;
  for (;;) {
    const int status = archive_read_next_header(archive->get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) return header_error(archive->get(), zip_);
    if (archive_entry_filetype(entry) == AE_IFREG) entries_.push_back(entry_path(entry));
    archive_read_data_skip(archive->get());
  }
  // The manifest nearest the top decides the folder the export lives in.
  std::size_t best_depth = std::string::npos;
  for (const std::string& path : entries_) {
    if (path.starts_with("__MACOSX/") || !equals_ignoring_case(base_name(path), "manifest.csv")) {
      continue;
    }
    const auto depth = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
    if (depth < best_depth) {
      best_depth = depth;
      folder_ = path.substr(0, path.size() - base_name(path).size());
    }
  }
  listed_ = true;
  return {};
}

Result<OpenedFile> ZipExport::open(std::string_view name) {
  if (auto listed = list(); !listed) return tl::unexpected(std::move(listed.error()));
  const std::string wanted = folder_ + std::string(name);
  auto chosen = std::find(entries_.begin(), entries_.end(), wanted);
  if (chosen == entries_.end()) {
    chosen = std::find_if(entries_.begin(), entries_.end(), [&](const std::string& path) {
      return equals_ignoring_case(path, wanted);
    });
  }
  if (chosen == entries_.end()) {
    return make_error(ErrorCode::kNotFound, "{} is not in {}{}", name, path_text(zip_),
                      folder_.empty() ? "" : " (folder " + folder_ + ")");
  }

  auto archive = open_zip(zip_);
  if (!archive) return tl::unexpected(std::move(archive.error()));
  struct archive_entry* entry = nullptr;
  for (;;) {
    const int status = archive_read_next_header(archive->get(), &entry);
    if (status == ARCHIVE_EOF) {
      return make_error(ErrorCode::kUnavailable,
                        "{} vanished from {} while it was being read: the zip was replaced; the "
                        "next run reads the new one",
                        *chosen, path_text(zip_));
    }
    if (status < ARCHIVE_WARN) return header_error(archive->get(), zip_);
    if (archive_entry_filetype(entry) == AE_IFREG && entry_path(entry) == *chosen) break;
    archive_read_data_skip(archive->get());
  }
  std::string found(base_name(*chosen));
  auto source =
      std::make_unique<ZipEntrySource>(std::move(*archive), found + " in " + path_text(zip_));
  return OpenedFile{std::move(found), std::move(source)};
}

}  // namespace ferry::connectors::files
