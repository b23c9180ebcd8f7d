#include "connectors/oneroster_csv/oneroster_source.hpp"

#include <algorithm>
#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "connectors/files/hashing_source.hpp"
#include "connectors/files/header_row.hpp"
#include "connectors/files/problems.hpp"
#include "connectors/files/recognise.hpp"
#include "connectors/files/text.hpp"
#include "connectors/oneroster_csv/column_aliases.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

constexpr std::string_view kManifest = "manifest.csv";
constexpr std::string_view kKey = "sourcedId";

tl::unexpected<Error> stopped() {
  return make_error(ErrorCode::kUnavailable, "reading the OneRoster export stopped on request");
}

std::string_view mode_name(FileMode mode) { return mode == FileMode::kBulk ? "bulk" : "delta"; }

}  // namespace

std::optional<std::string> OneRosterSource::fingerprint_of(std::string_view state) {
  if (state.empty()) return std::nullopt;
  boost::system::error_code error;
  const boost::json::value json = boost::json::parse(state, error);
  if (error || !json.is_object()) return std::nullopt;
  const boost::json::value* fingerprint = json.get_object().if_contains("fingerprint");
  if (fingerprint == nullptr || !fingerprint->is_string()) return std::nullopt;
  return std::string(fingerprint->get_string());
}

Result<Manifest> OneRosterSource::load_manifest(files::ExportFiles& exported,
                                                files::ContentFingerprint* fingerprint) {
  auto opened = exported.open(kManifest);
  if (!opened) {
    if (opened.error().code != ErrorCode::kNotFound) return tl::unexpected(opened.error());
    // Pointed at an export of another kind: say what it looks like and what reads it.
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) {
      if (const auto recognised = files::recognise_folder(path_)) {
        return make_error(ErrorCode::kConfig,
                          "manifest.csv is not in {}: this folder looks like {}, which is not a "
                          "OneRoster export; read it with {}",
                          exported.where(), recognised->what, recognised->how);
      }
    }
    return make_error(ErrorCode::kNotFound,
                      "manifest.csv is not in {}: set path to the folder or .zip file of a "
                      "OneRoster CSV export (the one with manifest.csv in it)",
                      exported.where());
  }
  if (fingerprint == nullptr) return parse_manifest(*opened->bytes);
  if (auto begun = fingerprint->begin_file(kManifest); !begun) return tl::unexpected(begun.error());
  files::HashingSource hashing(*opened->bytes, *fingerprint);
  auto manifest = parse_manifest(hashing);
  if (!manifest) return manifest;
  if (auto ended = fingerprint->end_file(); !ended) return tl::unexpected(ended.error());
  return manifest;
}

Result<files::OpenedFile> OneRosterSource::open_listed(files::ExportFiles& exported,
                                                       const ManifestFile& file) {
  auto opened = exported.open(file.file_name());
  if (!opened && opened.error().code == ErrorCode::kNotFound) {
    return make_error(ErrorCode::kNotFound,
                      "manifest.csv lists {} as {}, but {} is not in {}: add the file to the "
                      "export, or mark it absent in manifest.csv",
                      file.stream, mode_name(file.mode), file.file_name(), exported.where());
  }
  return opened;
}

Result<StreamInfo> OneRosterSource::read_stream_info(files::CsvReader& reader,
                                                     const ManifestFile& file,
                                                     const std::string& found,
                                                     bool need_key) const {
  auto columns = files::read_header_row(reader, found);
  if (!columns) return tl::unexpected(std::move(columns.error()));
  const auto expected = expected_.find(file.stream);
  const HeaderExpectation none;
  const HeaderExpectation& expectation = expected == expected_.end() ? none : expected->second;
  canonicalize_columns(file.stream, *columns, expectation.as_written);
  const std::string& key = expectation.key;
  if (need_key && !key.empty() &&
      std::find(columns->begin(), columns->end(), key) == columns->end()) {
    return make_error(ErrorCode::kCorrupt,
                      "{} has no {} column, which keys the rows of stream {} (names taken for "
                      "it: {}), so the stream is not read: name that column {} in the export, or "
                      "set streams.{}.key in the configuration to the column that holds each "
                      "row's id",
                      found, key, file.stream, accepted_names(file.stream, key), key, file.stream);
  }
  const bool keyed = std::find(columns->begin(), columns->end(), kKey) != columns->end();
  return StreamInfo{file.stream, std::move(*columns), keyed ? std::string(kKey) : std::string()};
}

Result<std::vector<StreamInfo>> OneRosterSource::read_headers(std::vector<Error>* problems) {
  auto exported = files::open_export(path_);
  if (!exported) return tl::unexpected(std::move(exported.error()));
  auto manifest = load_manifest(**exported, nullptr);
  if (!manifest) return tl::unexpected(std::move(manifest.error()));
  std::vector<StreamInfo> streams;
  for (const ManifestFile& file : manifest->files) {
    auto stream = [&]() -> Result<StreamInfo> {
      auto opened = open_listed(**exported, file);
      if (!opened) return tl::unexpected(std::move(opened.error()));
      files::CsvReader reader(*opened->bytes);
      return read_stream_info(reader, file, opened->name, problems != nullptr);
    }();
    if (stream) {
      streams.push_back(std::move(*stream));
    } else if (problems != nullptr) {
      problems->push_back(std::move(stream.error()));
    } else {
      return tl::unexpected(std::move(stream.error()));
    }
  }
  return streams;
}

Result<std::vector<StreamInfo>> OneRosterSource::streams() { return read_headers(nullptr); }

Result<void> OneRosterSource::check() {
  std::vector<Error> problems;
  auto found = read_headers(&problems);
  if (!found) return tl::unexpected(std::move(found.error()));
  return files::all_problems(problems);
}

Result<std::string> OneRosterSource::read(const ResumeState& state, RowSink& sink,
                                          std::stop_token stop) {
  if (const auto previous = fingerprint_of(state.source)) {
    auto current = fingerprint_only(stop);
    if (!current) return current;
    if (!current->empty() && *current == *previous) return state.source;
  }
  return read_all(state, sink, stop);
}

Result<std::string> OneRosterSource::fingerprint_only(const std::stop_token& stop) {
  auto exported = files::open_export(path_);
  if (!exported) return tl::unexpected(std::move(exported.error()));
  auto fingerprint = files::ContentFingerprint::create();
  if (!fingerprint) return tl::unexpected(std::move(fingerprint.error()));
  auto manifest = load_manifest(**exported, &*fingerprint);
  if (!manifest) return tl::unexpected(std::move(manifest.error()));
  for (const ManifestFile& file : manifest->files) {
    auto opened = open_listed(**exported, file);
    // A file that cannot be opened fails its stream in read_all; here it means "not the same".
    if (!opened) return std::string();
    auto added = fingerprint->add_file(file.file_name(), *opened->bytes, stop);
    if (!added) return tl::unexpected(std::move(added.error()));
    if (!*added) return stopped();
  }
  return fingerprint->finish();
}

Result<std::string> OneRosterSource::read_all(const ResumeState& state, RowSink& sink,
                                              const std::stop_token& stop) {
  auto exported = files::open_export(path_);
  if (!exported) return tl::unexpected(std::move(exported.error()));
  auto fingerprint = files::ContentFingerprint::create();
  if (!fingerprint) return tl::unexpected(std::move(fingerprint.error()));
  auto manifest = load_manifest(**exported, &*fingerprint);
  if (!manifest) return tl::unexpected(std::move(manifest.error()));
  bool whole = true;
  for (const ManifestFile& file : manifest->files) {
    if (stop.stop_requested()) return stopped();
    auto done = read_stream(**exported, file, *fingerprint, sink, stop);
    if (!done) return tl::unexpected(std::move(done.error()));
    whole = whole && *done;
  }
  // A stream not read whole leaves the fingerprint short of the export: the old state stays, so
  // the next run reads the export again.
  if (!whole) return state.source;
  auto hex = fingerprint->finish();
  if (!hex) return hex;
  return fmt::format(R"({{"fingerprint":"{}"}})", *hex);
}

Result<bool> OneRosterSource::read_stream(files::ExportFiles& exported, const ManifestFile& file,
                                          files::ContentFingerprint& fingerprint, RowSink& sink,
                                          const std::stop_token& stop) {
  // What goes wrong with one file fails that stream only; the sink's own errors (the spool) and
  // a stop end the read.
  auto failed = [&](Error error) -> Result<bool> {
    sink.stream_failed(file.stream, error);
    return false;
  };
  auto opened = open_listed(exported, file);
  if (!opened) return failed(std::move(opened.error()));
  if (auto begun = fingerprint.begin_file(file.file_name()); !begun) {
    return tl::unexpected(std::move(begun.error()));
  }
  files::HashingSource hashing(*opened->bytes, fingerprint);
  files::CsvReader reader(hashing);
  // A missing key column fails the stream here, before begin_stream: the agent could not key its
  // rows either.
  auto stream = read_stream_info(reader, file, opened->name, true);
  if (!stream) return failed(std::move(stream.error()));

  const StreamInfo info = std::move(*stream);
  const bool delta = file.mode == FileMode::kDelta;
  std::size_t status = info.columns.size();  // none
  if (delta) {
    const auto at =
        std::find_if(info.columns.begin(), info.columns.end(),
                     [](const std::string& c) { return files::equals_ignoring_case(c, "status"); });
    status = static_cast<std::size_t>(at - info.columns.begin());
  }
  auto begun = sink.begin_stream(info, delta ? StreamMode::kChanges : StreamMode::kSnapshot);
  if (!begun) return tl::unexpected(std::move(begun.error()));
  if (!*begun) return false;

  std::vector<Value> values(info.columns.size());
  bool cut_short = false;  // the sink had enough rows before the file ended
  for (;;) {
    if (stop.stop_requested()) return stopped();
    auto outcome = reader.next();
    if (!outcome) {
      if (stop.stop_requested()) return stopped();
      return failed(files::in_file(std::move(outcome.error()), opened->name, reader));
    }
    if (*outcome == files::CsvReader::Outcome::kEnd) break;
    if (*outcome == files::CsvReader::Outcome::kBadRecord) {
      sink.bad_row(
          BadRow{file.stream, fmt::format("{}:{}", opened->name, reader.line()), reader.reason()});
      continue;
    }
    const auto fields = reader.fields();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = Value::string(fields[i]);
    const bool deleted = status < fields.size() &&
                         files::equals_ignoring_case(files::trim(fields[status]), "tobedeleted");
    if (auto taken = sink.row(values, deleted ? RowOp::kDelete : RowOp::kUpsert); !taken) {
      return tl::unexpected(std::move(taken.error()));
    }
    if (sink.enough_rows()) {
      cut_short = true;
      break;
    }
  }
  if (!cut_short) {
    if (auto ended = fingerprint.end_file(); !ended) {
      return tl::unexpected(std::move(ended.error()));
    }
  }
  // Every stream of an export resumes with the export (the source-wide fingerprint).
  if (auto ended = sink.end_stream(""); !ended) return tl::unexpected(std::move(ended.error()));
  return !cut_short;
}

}  // namespace ferry::connectors::oneroster_csv
