// A file source's export fetched over SFTP (docs/connectors/sftp.md): the one seam between the
// transport and the formats. The format's own Source (OneRoster CSV, generic CSV) reads a local
// copy; this wraps it, so no format knows SFTP and SFTP knows no format.
//
// A run (read()):
//  1. connects and logs in (SshSession: the host key checked against the pin before anything
//     about the user is sent; a refused key is recorded in the audit log);
//  2. finds the export: `path` is a file, a folder (its *.csv files, and what the format's
//     FolderLayout adds: the newest dated subfolder, files in subfolders), or a glob in its last
//     part (the newest match by modification time);
//  3. waits for whole files: an export is read only once every file of it is `settle` old by its
//     modification time, or has kept the same size and modification time for `settle` since
//     this source first saw it (which does not trust the server's clock); until then the run
//     fails as kUnavailable ("still being written"), and the agent's back-off tries again;
//  4. skips an export it has read before: the same names, sizes and modification times as in the
//     resume state are not downloaded again (the state says "unchanged");
//  5. downloads every file to a private folder under the scratch folder (0600 files), each checked
//     against the size the server reported and against changes during the download;
//  6. hands the local copy to the format's Source, then removes it.
// A connection cut or a server that stops answering fails the run (kUnavailable) before any row
// is handed over or after the format's Source took them (it does not commit): the next run starts
// again from the last committed state, so nothing is lost or sent twice.
//
// Resume state: {"remote":"<identity of the export>","inner":"<the format's state>"}; the
// streams' own states pass through untouched.
// Each run opens its own connection (a libssh session belongs to one thread, and the agent may
// run a source on different workers) and closes it before returning.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config/settings.hpp"
#include "connectors/api/context.hpp"
#include "connectors/api/source.hpp"
#include "connectors/sftp/sftp_client.hpp"

namespace ferry::connectors::sftp {

class SftpSource final : public Source {
 public:
  // The format's Source for a local copy: `local` is the downloaded file (a remote file or glob)
  // or a folder holding the downloaded files (a remote folder).
  using MakeLocal =
      std::function<Result<std::unique_ptr<Source>>(const std::filesystem::path& local)>;

  // What a format reads of a remote folder besides its .csv files (the generic CSV connector's
  // `folders` and stream files): the local copy keeps the same relative paths.
  struct FolderLayout {
    // A pattern of subfolders (rundate=*): only the newest match by name is fetched, into a
    // folder of the same name.
    std::string newest_subfolder;
    // File patterns relative to the folder (or that subfolder), a wildcard in the last part only:
    // "students/part*.csv", "export.txt". Matches are fetched too; a subfolder that is not there
    // fetches nothing (the format says what is missing).
    std::vector<std::string> files;
  };

  SftpSource(std::string name, config::SftpSettings settings, const SourceContext& context,
             MakeLocal make_local, FolderLayout layout = {});
  ~SftpSource() override;

  // Downloads the export and asks the format's Source.
  Result<std::vector<StreamInfo>> streams() override;
  // Connects, checks the host key, logs in and finds the export; downloads nothing. Without a
  // pin it fails with the key the server offers and the host_key line that pins it.
  Result<void> check() override;
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

  // The parts of a state read() returned; empty strings for "" or anything else.
  struct State {
    std::string remote;
    std::string inner;
  };
  static State parse_state(std::string_view state);
  static std::string format_state(const State& state);

 private:
  struct Export {
    std::vector<RemoteFile> files;  // sorted by path
    bool folder = false;            // `path` named a folder
    // For a folder: each file's path below it ("rundate=2/students/part1.csv"), as files.
    std::vector<std::string> relative;
  };
  // The files of the remote folder `path` that the export is made of (see FolderLayout).
  Result<Export> find_folder_export(SftpClient& client);
  Result<std::unique_ptr<SftpClient>> connect();
  Result<Export> find_export(SftpClient& client);
  Result<void> check_settled(const Export& found);
  // Downloads every file of `found` below a new private folder; returns what make_local takes.
  Result<std::filesystem::path> download(SftpClient& client, const Export& found,
                                         const std::stop_token& stop);
  // The folder downloads go to: <scratch_dir>/download, or a private temporary folder for a
  // source without a scratch folder (preview, check), removed with this object.
  Result<std::filesystem::path> download_root();
  void remove_download();

  std::string name_;
  config::SftpSettings settings_;
  SourceContext context_;
  MakeLocal make_local_;
  FolderLayout layout_;
  std::filesystem::path temporary_root_;  // made by download_root() without a scratch folder
  // Per remote path: the size and modification time first seen, and when (settle, step 3).
  struct Seen {
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
    env::WallTime since;
  };
  std::map<std::string, Seen> seen_;
};

// The identity of an export: a SHA-256 over its files' names, sizes and modification times.
std::string export_identity(const std::vector<RemoteFile>& files);

}  // namespace ferry::connectors::sftp
