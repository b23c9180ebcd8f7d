#include "connectors/files/folder_export.hpp"

#include <system_error>

#include "common/error/path_text.hpp"
#include "connectors/files/file_source.hpp"
#include "connectors/files/text.hpp"

namespace ferry::connectors::files {

Result<OpenedFile> FolderExport::open(std::string_view name) {
  std::filesystem::path path = folder_ / name;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    // Not there under this exact name: take one that differs only in case, if the folder has it.
    bool found = false;
    for (std::filesystem::directory_iterator it(folder_, error), end; !error && it != end;
         it.increment(error)) {
      const std::string candidate = path_text(it->path().filename());
      if (equals_ignoring_case(candidate, name) && it->is_regular_file(error)) {
        path = it->path();
        found = true;
        break;
      }
    }
    if (!found) {
      return make_error(ErrorCode::kNotFound, "{} is not in {}", name, path_text(folder_));
    }
  }
  auto source = FileSource::open(path);
  if (!source) return tl::unexpected(std::move(source.error()));
  return OpenedFile{path_text(path.filename()), std::move(*source)};
}

}  // namespace ferry::connectors::files
