#include "connectors/oneroster_csv/oneroster_csv.hpp"

#include <string>
#include <variant>

#include "connectors/oneroster_csv/header_expectations.hpp"
#include "connectors/oneroster_csv/oneroster_source.hpp"
#include "connectors/sftp/sftp_source.hpp"

namespace ferry::connectors::oneroster_csv {

config::SourceTypeSpec spec() {
  return {
      .type = "oneroster_csv",
      .description = "OneRoster 1.1/1.2 CSV export: a folder or a .zip with manifest.csv",
      .options = {{"path", config::OptionKind::kPath, true, "folder or .zip holding manifest.csv"}},
      .stream_options = {},
      .file_source = true,
      .presets = {"oneroster"}};
}

Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context) {
  if (settings.sftp) {
    // The export is fetched over SFTP; this connector reads the local copy.
    return std::unique_ptr<Source>(std::make_unique<sftp::SftpSource>(
        settings.name, *settings.sftp, context,
        [expected = header_expectations(settings)](
            const std::filesystem::path& local) -> Result<std::unique_ptr<Source>> {
          return std::unique_ptr<Source>(std::make_unique<OneRosterSource>(local, expected));
        }));
  }
  const auto option = settings.options.find("path");
  const std::string* path =
      option == settings.options.end() ? nullptr : std::get_if<std::string>(&option->second.value);
  if (path == nullptr || path->empty()) {
    return make_error(ErrorCode::kConfig,
                      "source '{}': oneroster_csv needs path: the folder or .zip file that holds "
                      "manifest.csv (or sftp: to fetch it from an SFTP server)",
                      settings.name);
  }
  return std::unique_ptr<Source>(
      std::make_unique<OneRosterSource>(*path, header_expectations(settings)));
}

}  // namespace ferry::connectors::oneroster_csv
