#include "connectors/oneroster_csv/manifest.hpp"

#include <algorithm>

#include "connectors/files/csv_reader.hpp"
#include "connectors/files/text.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

bool is_plain_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace

Result<Manifest> parse_manifest(files::ByteSource& bytes) {
  files::CsvReader reader(bytes);
  auto header = reader.next();
  if (!header)
    return tl::unexpected(files::in_file(std::move(header.error()), "manifest.csv", reader));
  if (*header == files::CsvReader::Outcome::kEnd) {
    return make_error(ErrorCode::kCorrupt,
                      "manifest.csv is empty: it needs the header propertyName,value and one "
                      "file.<name>,bulk|delta|absent row per file; export the data again");
  }
  if (*header == files::CsvReader::Outcome::kBadRecord) {
    return make_error(ErrorCode::kCorrupt, "manifest.csv:{}: {}; export the data again",
                      reader.line(), reader.reason());
  }
  const auto columns = reader.fields();
  if (columns.size() < 2 || !files::equals_ignoring_case(files::trim(columns[0]), "propertyName") ||
      !files::equals_ignoring_case(files::trim(columns[1]), "value")) {
    return make_error(ErrorCode::kCorrupt,
                      "manifest.csv:{}: the header must start with propertyName,value: is this "
                      "the manifest of a OneRoster CSV export?",
                      reader.line());
  }
  reader.expect_fields(2, columns.size());

  Manifest manifest;
  for (;;) {
    auto outcome = reader.next();
    if (!outcome) {
      return tl::unexpected(files::in_file(std::move(outcome.error()), "manifest.csv", reader));
    }
    if (*outcome == files::CsvReader::Outcome::kEnd) break;
    if (*outcome == files::CsvReader::Outcome::kBadRecord) {
      return make_error(ErrorCode::kCorrupt, "manifest.csv:{}: {}; fix the manifest", reader.line(),
                        reader.reason());
    }
    const std::string_view property = files::trim(reader.fields()[0]);
    const std::string value = files::to_lower_ascii(files::trim(reader.fields()[1]));
    if (files::equals_ignoring_case(property, "oneroster.version")) {
      manifest.oneroster_version = value;
      continue;
    }
    if (property.size() < 5 || !files::equals_ignoring_case(property.substr(0, 5), "file."))
      continue;
    const std::string_view stream = property.substr(5);
    FileMode mode = FileMode::kBulk;
    if (value == "absent" || value.empty()) {
      continue;
    } else if (value == "bulk") {
      mode = FileMode::kBulk;
    } else if (value == "delta") {
      mode = FileMode::kDelta;
    } else {
      return make_error(ErrorCode::kCorrupt,
                        "manifest.csv:{}: {} must be bulk, delta or absent, not '{}'; fix the "
                        "manifest",
                        reader.line(), property, value.substr(0, 40));
    }
    if (!is_plain_name(stream)) {
      return make_error(ErrorCode::kCorrupt,
                        "manifest.csv:{}: '{}' does not name a file (use letters, digits, '.', "
                        "'_' and '-' after file.); fix the manifest",
                        reader.line(), property);
    }
    const bool listed = std::any_of(manifest.files.begin(), manifest.files.end(),
                                    [&](const ManifestFile& f) { return f.stream == stream; });
    if (listed) {
      return make_error(ErrorCode::kCorrupt,
                        "manifest.csv:{}: {} is listed twice; keep one row for it", reader.line(),
                        property);
    }
    manifest.files.push_back({std::string(stream), mode});
  }
  return manifest;
}

}  // namespace ferry::connectors::oneroster_csv
