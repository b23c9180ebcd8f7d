#include "connectors/csv/csv_source.hpp"

#include <algorithm>
#include <map>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "common/error/path_text.hpp"
#include "connectors/files/file_source.hpp"
#include "connectors/files/glob.hpp"
#include "connectors/files/hashing_source.hpp"
#include "connectors/files/header_row.hpp"
#include "connectors/files/problems.hpp"
#include "connectors/files/recognise.hpp"
#include "connectors/files/text.hpp"
#include "connectors/files/windows1252_source.hpp"

namespace ferry::connectors::csv {
namespace {

tl::unexpected<Error> stopped() {
  return make_error(ErrorCode::kUnavailable, "reading the CSV files stopped on request");
}

bool has_wildcard(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

// The fingerprint in a state read() returned, or nullopt.
std::optional<std::string> fingerprint_of(std::string_view state) {
  if (state.empty()) return std::nullopt;
  boost::system::error_code error;
  const boost::json::value json = boost::json::parse(state, error);
  if (error || !json.is_object()) return std::nullopt;
  const boost::json::value* fingerprint = json.get_object().if_contains("fingerprint");
  if (fingerprint == nullptr || !fingerprint->is_string()) return std::nullopt;
  return std::string(fingerprint->get_string());
}

// A file of a stream, opened for reading as UTF-8 whatever its encoding.
struct OpenCsv {
  std::unique_ptr<files::FileSource> file;
  std::unique_ptr<files::Windows1252Source> converted;
  files::ByteSource* bytes = nullptr;
};

Result<OpenCsv> open_csv(const std::filesystem::path& path, Encoding encoding) {
  OpenCsv opened;
  auto file = files::FileSource::open(path);
  if (!file) return tl::unexpected(std::move(file.error()));
  opened.file = std::move(*file);
  opened.bytes = opened.file.get();
  if (encoding == Encoding::kWindows1252) {
    opened.converted = std::make_unique<files::Windows1252Source>(*opened.file);
    opened.bytes = opened.converted.get();
  }
  return opened;
}

// "students/part1.csv": how messages name a file of the folder.
std::string relative_name(const std::filesystem::path& folder, const std::filesystem::path& file) {
  return file.lexically_relative(folder).generic_string();
}

}  // namespace

Result<std::filesystem::path> CsvSource::folder() const {
  std::error_code ec;
  if (!std::filesystem::is_directory(path_, ec)) {
    if (!std::filesystem::exists(path_, ec)) {
      return make_error(ErrorCode::kNotFound,
                        "folder {} does not exist: check path, and that the export job writes "
                        "there",
                        path_text(path_));
    }
    return make_error(ErrorCode::kConfig,
                      "{} is not a folder: a csv source reads the CSV files in a folder (path)",
                      path_text(path_));
  }
  if (options_.folders.empty()) return path_;
  std::vector<std::filesystem::path> matched;
  for (std::filesystem::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = path_text(it->path().filename());
    std::error_code type_error;
    if (it->is_directory(type_error) && files::glob_match(options_.folders, name)) {
      matched.push_back(it->path());
    }
  }
  if (ec) {
    return make_error(ErrorCode::kPermission, "cannot list folder {}: {}", path_text(path_),
                      ec.message());
  }
  if (matched.empty()) {
    return make_error(ErrorCode::kNotFound,
                      "no folder in {} matches folders: {}: check the pattern, and that the "
                      "export job writes there",
                      path_text(path_), options_.folders);
  }
  return *std::max_element(matched.begin(), matched.end());  // the newest by name
}

std::vector<std::filesystem::path> CsvSource::matching_files(const std::filesystem::path& folder,
                                                             const CsvStream& stream) const {
  const std::filesystem::path pattern(stream.file);
  const std::filesystem::path where = folder / pattern.parent_path();
  const std::string name = path_text(pattern.filename());
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  if (!has_wildcard(name)) {
    const std::filesystem::path file = where / name;
    if (std::filesystem::is_regular_file(file, ec)) found.push_back(file);
    return found;
  }
  for (std::filesystem::directory_iterator it(where, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string candidate = path_text(it->path().filename());
    std::error_code type_error;
    if (it->is_regular_file(type_error) && files::glob_match(name, candidate)) {
      found.push_back(it->path());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<std::string> CsvSource::names_in_other_case(const std::filesystem::path& folder) const {
  std::vector<std::string> found;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = path_text(it->path().filename());
    for (const CsvStream& stream : streams_) {
      if (name != stream.file && files::equals_ignoring_case(name, stream.file)) {
        found.push_back(fmt::format("{} ({})", name, stream.file));
      }
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string CsvSource::hint(const std::filesystem::path& folder) const {
  const auto recognised = files::recognise_folder(folder);
  if (!recognised) return "";
  if (!options_.preset.empty() && recognised->type == "csv" &&
      recognised->preset == options_.preset) {
    return "";  // what this source is set up to read
  }
  return fmt::format(" (this folder looks like {}: read it with {})", recognised->what,
                     recognised->how);
}

Result<std::vector<std::filesystem::path>> CsvSource::files_of(const std::filesystem::path& folder,
                                                               const CsvStream& stream) const {
  auto found = matching_files(folder, stream);
  if (!found.empty()) return found;
  const std::string name = path_text(std::filesystem::path(stream.file).filename());
  return make_error(ErrorCode::kNotFound,
                    "{} {} in {}, so stream {} is not read: check streams.{}.file, and that "
                    "the export job writes that file{}",
                    has_wildcard(name) ? "no file matches" : "there is no file", stream.file,
                    path_text(folder), stream.name, stream.name, hint(folder));
}

Result<std::vector<const CsvStream*>> CsvSource::streams_in(
    const std::filesystem::path& folder) const {
  if (!options_.preset.empty()) {
    // A OneRoster export has files of the same names as SDS v2.1's (users.csv, roles.csv ...):
    // read with a csv preset, its rows would go out under the wrong table's policy.
    if (const auto recognised = files::recognise_folder(folder);
        recognised && recognised->type == "oneroster_csv") {
      return make_error(ErrorCode::kConfig,
                        "{} holds {}, which the {} preset does not read: read it with {}",
                        path_text(folder), recognised->what, options_.preset, recognised->how);
    }
  }
  std::vector<const CsvStream*> chosen;
  // The preset's streams whose files are here, by version.
  std::map<std::string, std::vector<const CsvStream*>> present;
  for (const CsvStream& stream : streams_) {
    if (!stream.optional) {
      chosen.push_back(&stream);  // a missing file fails its stream when it is read
    } else if (!matching_files(folder, stream).empty()) {
      present[stream.version].push_back(&stream);
    }
  }
  std::vector<std::string> versions;
  for (const auto& [version, found] : present) {
    if (!version.empty()) versions.push_back(version);
  }
  if (versions.size() > 1) {
    const auto files = [&](const std::string& version) {
      std::vector<std::string_view> names;
      for (const CsvStream* stream : present[version]) names.push_back(stream->file);
      return fmt::format("{} ({})", version, fmt::join(names, ", "));
    };
    return make_error(ErrorCode::kConfig,
                      "{} holds files of two versions of the {} preset's format, {} and {}: an "
                      "export is of one version; remove the other version's files, or point path "
                      "at a folder of one version",
                      path_text(folder), options_.preset, files(versions[0]), files(versions[1]));
  }
  for (const CsvStream& stream : streams_) {
    if (!stream.optional) continue;
    const auto& found = present[stream.version];
    if (std::find(found.begin(), found.end(), &stream) != found.end()) chosen.push_back(&stream);
  }
  if (chosen.empty()) {
    std::vector<std::string_view> names;
    for (const CsvStream& stream : streams_) names.push_back(stream.file);
    const std::vector<std::string> miscased = names_in_other_case(folder);
    if (!miscased.empty()) {
      return make_error(ErrorCode::kNotFound,
                        "none of the files of preset {} is in {}, but {} differ only in upper and "
                        "lower case: the names are case-sensitive (it reads {}); have the export "
                        "job write them so, or set each stream's file",
                        options_.preset, path_text(folder), fmt::join(miscased, ", "),
                        fmt::join(names, ", "));
    }
    return make_error(ErrorCode::kNotFound,
                      "none of the files of preset {} is in {} (it reads {}): check path, and "
                      "that the export job writes there{}",
                      options_.preset, path_text(folder), fmt::join(names, ", "), hint(folder));
  }
  // In the order the streams are listed (pointers into streams_), whatever their kind.
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

Result<StreamInfo> CsvSource::read_header(files::CsvReader& reader, const CsvStream& stream,
                                          const std::string& file,
                                          const std::filesystem::path& folder) const {
  auto columns = files::read_header_row(reader, file);
  if (!columns) return tl::unexpected(std::move(columns.error()));
  for (std::string& column : *columns) column = std::string(files::trim(column));
  for (const std::string& key : stream.key) {
    if (std::find(columns->begin(), columns->end(), key) == columns->end()) {
      return make_error(ErrorCode::kCorrupt,
                        "{} has no {} column, which keys the rows of stream {}, so the stream is "
                        "not read: set streams.{}.key to the column that holds each row's id "
                        "(the header has: {}){}",
                        file, key, stream.name, stream.name, fmt::join(*columns, ", "),
                        hint(folder));
    }
  }
  return StreamInfo{stream.name, std::move(*columns), stream.key.empty() ? "" : stream.key[0]};
}

Result<std::vector<StreamInfo>> CsvSource::read_headers(std::vector<Error>* problems) {
  auto in = folder();
  if (!in) return tl::unexpected(std::move(in.error()));
  auto streams = streams_in(*in);
  if (!streams) return tl::unexpected(std::move(streams.error()));
  std::vector<StreamInfo> infos;
  for (const CsvStream* stream : *streams) {
    auto info = [&]() -> Result<StreamInfo> {
      auto found = files_of(*in, *stream);
      if (!found) return tl::unexpected(std::move(found.error()));
      auto opened = open_csv(found->front(), options_.encoding);
      if (!opened) return tl::unexpected(std::move(opened.error()));
      files::CsvReader reader(*opened->bytes, {}, options_.delimiter);
      return read_header(reader, *stream, relative_name(*in, found->front()), *in);
    }();
    if (info) {
      infos.push_back(std::move(*info));
    } else if (problems != nullptr) {
      problems->push_back(std::move(info.error()));
    } else {
      return tl::unexpected(std::move(info.error()));
    }
  }
  return infos;
}

Result<std::vector<StreamInfo>> CsvSource::streams() { return read_headers(nullptr); }

Result<void> CsvSource::check() {
  std::vector<Error> problems;
  auto found = read_headers(&problems);
  if (!found) return tl::unexpected(std::move(found.error()));
  return files::all_problems(problems);
}

Result<std::string> CsvSource::fingerprint_only(const std::filesystem::path& in,
                                                const std::vector<const CsvStream*>& streams,
                                                const std::stop_token& stop) {
  auto fingerprint = files::ContentFingerprint::create();
  if (!fingerprint) return tl::unexpected(std::move(fingerprint.error()));
  for (const CsvStream* stream : streams) {
    auto found = files_of(in, *stream);
    if (!found) return std::string();  // fails its stream in the read: "not the same"
    for (const auto& path : *found) {
      auto opened = files::FileSource::open(path);
      if (!opened) return std::string();
      auto added = fingerprint->add_file(relative_name(in, path), **opened, stop);
      if (!added) return tl::unexpected(std::move(added.error()));
      if (!*added) return stopped();
    }
  }
  return fingerprint->finish();
}

Result<std::string> CsvSource::read(const ResumeState& state, RowSink& sink, std::stop_token stop) {
  auto in = folder();
  if (!in) return tl::unexpected(std::move(in.error()));
  auto streams = streams_in(*in);
  if (!streams) return tl::unexpected(std::move(streams.error()));
  if (const auto previous = fingerprint_of(state.source)) {
    auto current = fingerprint_only(*in, *streams, stop);
    if (!current) return current;
    if (!current->empty() && *current == *previous) return state.source;
  }
  auto fingerprint = files::ContentFingerprint::create();
  if (!fingerprint) return tl::unexpected(std::move(fingerprint.error()));
  bool whole = true;
  for (const CsvStream* stream : *streams) {
    if (stop.stop_requested()) return stopped();
    auto done = read_stream(*in, *stream, *fingerprint, sink, stop);
    if (!done) return tl::unexpected(std::move(done.error()));
    whole = whole && *done;
  }
  // A stream not read whole leaves the fingerprint short: the old state stays, and the next run
  // reads the files again.
  if (!whole) return state.source;
  auto hex = fingerprint->finish();
  if (!hex) return hex;
  return fmt::format(R"({{"fingerprint":"{}"}})", *hex);
}

Result<bool> CsvSource::read_stream(const std::filesystem::path& in, const CsvStream& stream,
                                    files::ContentFingerprint& fingerprint, RowSink& sink,
                                    const std::stop_token& stop) {
  // What goes wrong with the stream's files fails that stream only; the sink's own errors (the
  // spool) and a stop end the read.
  auto failed = [&](Error error) -> Result<bool> {
    sink.stream_failed(stream.name, error);
    return false;
  };
  auto found = files_of(in, stream);
  if (!found) return failed(std::move(found.error()));

  std::optional<StreamInfo> info;
  std::vector<Value> values;
  for (const auto& path : *found) {
    const std::string name = relative_name(in, path);
    auto opened = files::FileSource::open(path);
    if (!opened) return failed(std::move(opened.error()));
    if (auto begun = fingerprint.begin_file(name); !begun) {
      return tl::unexpected(std::move(begun.error()));
    }
    // The fingerprint is of the bytes as stored, before any conversion.
    files::HashingSource hashing(**opened, fingerprint);
    std::optional<files::Windows1252Source> converted;
    files::ByteSource* bytes = &hashing;
    if (options_.encoding == Encoding::kWindows1252) bytes = &converted.emplace(hashing);
    files::CsvReader reader(*bytes, {}, options_.delimiter);
    auto header = read_header(reader, stream, name, in);
    if (!header) return failed(std::move(header.error()));
    if (!info) {
      // A missing key column fails the stream before begin_stream: the agent could not key it.
      info = std::move(*header);
      auto begun = sink.begin_stream(*info, StreamMode::kSnapshot);
      if (!begun) return tl::unexpected(std::move(begun.error()));
      if (!*begun) return false;
      values.resize(info->columns.size());
    } else if (header->columns != info->columns) {
      return failed(Error{
          ErrorCode::kCorrupt,
          fmt::format("{} has another header than {} ({} columns, not {}): every file of stream "
                      "{} must have the same columns in the same order",
                      name, relative_name(in, found->front()), header->columns.size(),
                      info->columns.size(), stream.name)});
    }
    for (;;) {
      if (stop.stop_requested()) return stopped();
      auto outcome = reader.next();
      if (!outcome) {
        if (stop.stop_requested()) return stopped();
        return failed(files::in_file(std::move(outcome.error()), name, reader));
      }
      if (*outcome == files::CsvReader::Outcome::kEnd) break;
      if (*outcome == files::CsvReader::Outcome::kBadRecord) {
        sink.bad_row(
            BadRow{stream.name, fmt::format("{}:{}", name, reader.line()), reader.reason()});
        continue;
      }
      const auto fields = reader.fields();
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = Value::string(fields[i]);
      if (auto taken = sink.row(values, RowOp::kUpsert); !taken) {
        return tl::unexpected(std::move(taken.error()));
      }
      if (sink.enough_rows()) {
        if (auto ended = sink.end_stream(""); !ended) return tl::unexpected(ended.error());
        return false;
      }
    }
    if (auto ended = fingerprint.end_file(); !ended) {
      return tl::unexpected(std::move(ended.error()));
    }
  }
  // Every stream resumes with the folder (the source-wide fingerprint).
  if (auto ended = sink.end_stream(""); !ended) return tl::unexpected(std::move(ended.error()));
  return true;
}

}  // namespace ferry::connectors::csv
