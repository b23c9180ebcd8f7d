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
  CsvStream(std::string name_, std::string file_, std::vector<std::string> key_,
            bool optional_ = false, std::string version_ = {})
      : name(std::move(name_)),
        file(std::move(file_)),
        key(std::move(key_)),
        optional(optional_),
        version(std::move(version_)) {}

  std::string name;  // the stream's name
  std::string file;  // file name or pattern, relative to the folder
  // The key column, or a composite key's columns; none: the policy then cannot send the stream.
  std::vector<std::string> key;
  // A stream of the preset: its file may be absent (the stream is then not read).
  bool optional = false;
  // Of a preset with versions (sds): the version whose file this is. An export is read as the one
  // version whose files it holds; the other version's streams are not read.
  std::string version;
};

struct CsvOptions {
  char delimiter = ',';
  Encoding encoding = Encoding::kUtf8;
  std::string folders;  // "" or a pattern: read the newest matching subfolder
  std::string preset;   // the preset the streams come from, for messages; "" for none
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
  // The files of `stream` in `folder`, in name order; none when none is there.
  std::vector<std::filesystem::path> matching_files(const std::filesystem::path& folder,
                                                    const CsvStream& stream) const;
  // The same; kNotFound when none, saying what to check.
  Result<std::vector<std::filesystem::path>> files_of(const std::filesystem::path& folder,
                                                      const CsvStream& stream) const;
  // The streams to read in `folder`, in the order listed: every stream written in the
  // configuration, and the preset's whose files are there (of one version). An error when the
  // preset's files are of two versions, or when there is no stream to read.
  Result<std::vector<const CsvStream*>> streams_in(const std::filesystem::path& folder) const;
  // The files of `folder` whose names are a stream's file in another case: "student.csv
  // (Student.csv)".
  std::vector<std::string> names_in_other_case(const std::filesystem::path& folder) const;
  // " (this folder looks like a Clever export: read it with ...)" when `folder` looks like an
  // export this source is not set up for; "" otherwise.
  std::string hint(const std::filesystem::path& folder) const;
  // The stream's columns from the header of `reader` (a file of `folder`); with the key checked.
  Result<StreamInfo> read_header(files::CsvReader& reader, const CsvStream& stream,
                                 const std::string& file,
                                 const std::filesystem::path& folder) const;
  Result<std::vector<StreamInfo>> read_headers(std::vector<Error>* problems);
  // The fingerprint of `streams`' files in `folder`; "" when one cannot be read (its stream then
  // fails in the read).
  Result<std::string> fingerprint_only(const std::filesystem::path& folder,
                                       const std::vector<const CsvStream*>& streams,
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
