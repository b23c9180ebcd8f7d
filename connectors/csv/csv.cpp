#include "connectors/csv/csv.hpp"

#include <algorithm>
#include <string>
#include <variant>

#include "common/config/overlay.hpp"
#include "connectors/csv/csv_source.hpp"
#include "connectors/csv/presets.hpp"
#include "connectors/sftp/sftp_source.hpp"

namespace ferry::connectors::csv {
namespace {

const std::string* text_option(
    const std::map<std::string, config::OptionValue, std::less<>>& options, std::string_view name) {
  const auto found = options.find(name);
  return found == options.end() ? nullptr : std::get_if<std::string>(&found->second.value);
}

// `delimiter` as the loader let it through (its choices): , ; | or "tab" / "\t" for a tab.
char delimiter_of(const std::string& text) {
  if (text == "tab" || text == "\\t") return '\t';
  return text.empty() ? ',' : text[0];
}

// A stream's `file`: relative, every part a name, wildcards in the last part only (the folder is
// the same local or fetched over SFTP, and nothing outside it is read).
bool inside_folder(std::string_view file) {
  if (file.empty() || file.front() == '/') return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = file.find('/', start);
    const std::string_view part =
        file.substr(start, slash == file.npos ? file.npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == file.npos) return true;
    if (part.find_first_of("*?[") != std::string_view::npos) return false;
    start = slash + 1;
  }
}

}  // namespace

config::SourceTypeSpec spec() {
  using config::OptionKind;
  return {
      .type = "csv",
      .description = "CSV files in a folder (or fetched over SFTP), one stream per file or pattern",
      .options =
          {
              {"path", OptionKind::kPath, true, "the folder that holds the CSV files"},
              {"delimiter",
               OptionKind::kString,
               false,
               "the character between fields: , (the default), ; | or tab",
               false,
               {",", ";", "|", "tab", "\\t"}},
              {"encoding",
               OptionKind::kString,
               false,
               "utf-8 (the default; a byte order mark is allowed) or windows-1252",
               false,
               {"utf-8", "windows-1252"}},
              {"folders",
               OptionKind::kString,
               false,
               "a pattern of subfolders (rundate=*): the newest match by name is read",
               false,
               {}},
          },
      .stream_options =
          {
              {"file",
               OptionKind::kString,
               false,
               "the stream's file in the folder, or a pattern in its last part "
               "(students/part*.csv); default <stream>.csv",
               false,
               {}},
          },
      .file_source = true,
      .presets = {"clever", "sds"},
  };
}

Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context) {
  CsvOptions options;
  if (const std::string* delimiter = text_option(settings.options, "delimiter")) {
    options.delimiter = delimiter_of(*delimiter);
  }
  if (const std::string* encoding = text_option(settings.options, "encoding")) {
    options.encoding = *encoding == "windows-1252" ? Encoding::kWindows1252 : Encoding::kUtf8;
  }
  if (const std::string* folders = text_option(settings.options, "folders")) {
    options.folders = *folders;
  }
  // With a preset: its streams (each its file, key and version), with the configured ones laid
  // over them as the agent lays their policies (connectors::effective_streams).
  std::vector<PresetStream> table;
  if (settings.preset) table = preset_table(*settings.preset);
  std::vector<config::StreamSettings> base;
  for (const PresetStream& entry : table) base.push_back(entry.settings);
  options.preset = settings.preset.value_or("");
  std::vector<CsvStream> streams;
  for (const config::StreamSettings& stream :
       config::overlay_streams(std::move(base), settings.streams)) {
    const auto preset = std::find_if(table.begin(), table.end(), [&](const PresetStream& entry) {
      return entry.settings.name == stream.name;
    });
    CsvStream read(stream.name, stream.name + ".csv", config::key_columns(stream));
    if (preset != table.end()) {
      read.file = preset->file;
      read.version = preset->version;
      read.optional = true;
    }
    if (const std::string* named = text_option(stream.options, "file")) read.file = *named;
    if (!inside_folder(read.file)) {
      return make_error(ErrorCode::kConfig,
                        "source '{}': streams.{}.file '{}' must be a path inside the folder: "
                        "relative, without empty, . or .. parts, and with wildcards in its last "
                        "part only (students/part*.csv)",
                        settings.name, stream.name, read.file);
    }
    streams.push_back(std::move(read));
  }
  if (streams.empty()) {
    return make_error(ErrorCode::kConfig,
                      "source '{}': a csv source reads the streams listed under streams:, each "
                      "with its file and key (such as students: {{file: students.csv, key: "
                      "sis_id}}), or a preset's (preset: clever or preset: sds); it has neither",
                      settings.name);
  }
  if (settings.sftp) {
    // SftpSource fetches the folder's .csv files, the newest `folders` subfolder, and each
    // stream's files, into a local folder of the same layout.
    sftp::SftpSource::FolderLayout layout;
    layout.newest_subfolder = options.folders;
    for (const CsvStream& stream : streams) layout.files.push_back(stream.file);
    return std::unique_ptr<Source>(std::make_unique<sftp::SftpSource>(
        settings.name, *settings.sftp, context,
        [streams, options](const std::filesystem::path& local) -> Result<std::unique_ptr<Source>> {
          return std::unique_ptr<Source>(std::make_unique<CsvSource>(local, streams, options));
        },
        std::move(layout)));
  }
  const std::string* path = text_option(settings.options, "path");
  if (path == nullptr || path->empty()) {
    return make_error(ErrorCode::kConfig,
                      "source '{}': csv needs path: the folder that holds the CSV files (or "
                      "sftp: to fetch them from an SFTP server)",
                      settings.name);
  }
  return std::unique_ptr<Source>(std::make_unique<CsvSource>(*path, std::move(streams), options));
}

}  // namespace ferry::connectors::csv
