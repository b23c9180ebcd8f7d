// The Source of a OneRoster CSV export (type oneroster_csv); see docs/connectors/oneroster_csv.md.
//
// Streams are the files manifest.csv lists as bulk or delta, in manifest order, named after the
// file without ".csv"; their columns are the header row as found, except that names other OneRoster
// versions and exporters use for a 1.1/1.2 column get the 1.1/1.2 name (column_aliases.hpp). A bulk
// file is a kSnapshot stream of upserts; a delta file is a kChanges stream whose rows with status
// "tobedeleted" (any case) are deletes and the others upserts. Every value is a string; an empty
// field is "".
//
// read() notices a new export by its content: the state it returns is {"fingerprint":"<hex>"},
// the SHA-256 of the manifest and every listed file (ContentFingerprint). Given that state again
// and the same bytes, it returns the state unchanged and calls no sink method; that check reads
// the export once more than a plain read, a cheap pass next to what the agent does with rows.
//
// A listed file that is missing, unreadable, has an unusable header, or lacks the column that the
// configuration keys its rows by (HeaderExpectations) fails its stream only
// (RowSink::stream_failed, before begin_stream); the other streams are read. A missing or broken
// manifest.csv fails the read.
//
// Holds no open file between calls: each call opens the export afresh.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "connectors/api/source.hpp"
#include "connectors/files/content_fingerprint.hpp"
#include "connectors/files/csv_reader.hpp"
#include "connectors/files/export_files.hpp"
#include "connectors/oneroster_csv/header_expectations.hpp"
#include "connectors/oneroster_csv/manifest.hpp"

namespace ferry::connectors::oneroster_csv {

class OneRosterSource final : public Source {
 public:
  // `path`: the folder or .zip file holding manifest.csv; `expected`: what the configuration
  // expects of each file's header (none: any header that names its columns is read).
  explicit OneRosterSource(std::filesystem::path path, HeaderExpectations expected = {})
      : path_(std::move(path)), expected_(std::move(expected)) {}

  // The streams, with their columns under their 1.1/1.2 names; fails at the first file that
  // cannot be opened or whose header cannot be read.
  Result<std::vector<StreamInfo>> streams() override;
  // Every listed file, and every problem at once: a file that cannot be opened, a header that
  // cannot be read, a key column that is not there.
  Result<void> check() override;
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

  // The fingerprint in a state read() returned, or nullopt for "" or anything else.
  static std::optional<std::string> fingerprint_of(std::string_view state);

 private:
  Result<Manifest> load_manifest(files::ExportFiles& exported,
                                 files::ContentFingerprint* fingerprint);
  Result<files::OpenedFile> open_listed(files::ExportFiles& exported, const ManifestFile& file);
  // The streams of every listed file, from their header rows. With `problems`, each file that
  // cannot be used (its key column missing included) is added to it and skipped; without, the
  // first file whose header cannot be read is the error.
  Result<std::vector<StreamInfo>> read_headers(std::vector<Error>* problems);
  // The stream of `file` from its header row, columns under their 1.1/1.2 names (`found`: the
  // file's name as found). With `need_key`, a header without the column the configuration keys
  // the stream by is an error that says so.
  Result<StreamInfo> read_stream_info(files::CsvReader& reader, const ManifestFile& file,
                                      const std::string& found, bool need_key) const;
  Result<std::string> fingerprint_only(const std::stop_token& stop);
  Result<std::string> read_all(const ResumeState& state, RowSink& sink,
                               const std::stop_token& stop);
  // False when the stream failed (reported to the sink), the sink did not take it, or the sink
  // had enough rows before the file ended (RowSink::enough_rows).
  Result<bool> read_stream(files::ExportFiles& exported, const ManifestFile& file,
                           files::ContentFingerprint& fingerprint, RowSink& sink,
                           const std::stop_token& stop);

  std::filesystem::path path_;
  HeaderExpectations expected_;
};

}  // namespace ferry::connectors::oneroster_csv
