// The Source of a folder of CSV files (type csv); see docs/connectors/csv.md.
//
// Each configured stream is read from the files its `file` names in the folder: one file
// ("students.csv"), or a pattern in the last part ("students/part*.csv"), whose matches are read
// in name order as one stream. With `folders`, the folder is the newest of its subfolders the
// pattern matches, by name ("rundate=*", "20??-??-??": the date in the name sorts). Every stream
// is a snapshot: its files hold the whole data set, and the agent deletes keys that vanished
// (with the mass-delete guard, as for OneRoster bulk files).
//
// Columns are the header row of the first file, as written (blanks around a name trimmed); every
// further file of a stream must have the same header. Values are strings; an empty field is "".
// A file in Windows-1252 is converted to UTF-8 as it is read (`encoding`); in UTF-8 (the default,
// with or without a byte order mark) a record with bytes that are not UTF-8 is a bad row.
//
// read() notices a new export by its content, like OneRosterSource: the state is
// {"fingerprint":"<hex>"}, SHA-256 over every file of every stream in reading order; the same
// bytes again return the state unchanged with no call to the sink.
//
// A stream whose files are missing, whose header cannot be read, or lacks the stream's key column
// fails alone (RowSink::stream_failed); the others are read. A folder that is not there fails the
// read.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "connectors/api/source.hpp"
#include "connectors/files/content_fingerprint.hpp"
#include "connectors/files/csv_reader.hpp"

namespace ferry::connectors::csv {

enum class Encoding { kUtf8, kWindows1252 };

struct CsvStream {
  std::string name;  // the stream's name
  std::string file;  // file name or pattern, relative to the folder
  // The key column, or a composite key's columns; none: the policy then cannot send the stream.
  std::vector<std::string> key;
};

struct CsvOptions {
  char delimiter = ',';
  Encoding encoding = Encoding::kUtf8;
  std::string folders;  // "" or a pattern: read the newest matching subfolder
};

class CsvSource final : public Source {
 public:
  CsvSource(std::filesystem::path path, std::vector<CsvStream> streams, CsvOptions options)
      : path_(std::move(path)), streams_(std::move(streams)), options_(std::move(options)) {}

  Result<std::vector<StreamInfo>> streams() override;
  // Every stream's files and headers, and every problem at once.
  Result<void> check() override;
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

 private:
  // The folder the streams' files are in now: path_, or its newest subfolder `folders` matches.
  Result<std::filesystem::path> folder() const;
  // The files of `stream` in `folder`, in name order; kNotFound when none.
  Result<std::vector<std::filesystem::path>> files_of(const std::filesystem::path& folder,
                                                      const CsvStream& stream) const;
  // The stream's columns from the header of `reader`; with the key checked.
  Result<StreamInfo> read_header(files::CsvReader& reader, const CsvStream& stream,
                                 const std::string& file) const;
  Result<std::vector<StreamInfo>> read_headers(std::vector<Error>* problems);
  Result<std::string> fingerprint_only(const std::filesystem::path& folder,
                                       const std::stop_token& stop);
  // False when the stream failed or was cut short (preview).
  Result<bool> read_stream(const std::filesystem::path& folder, const CsvStream& stream,
                           files::ContentFingerprint& fingerprint, RowSink& sink,
                           const std::stop_token& stop);

  std::filesystem::path path_;
  std::vector<CsvStream> streams_;
  CsvOptions options_;
};

}  // namespace ferry::connectors::csv
