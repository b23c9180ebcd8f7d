#include "connectors/sftp/sftp_source.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string_view>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <spdlog/logger.h>

#include "common/config/duration.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "connectors/files/glob.hpp"

namespace ferry::connectors::sftp {

namespace {

// "oneroster_2024.zip" of "/exports/oneroster_2024.zip".
std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool has_wildcard(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.find_first_of("*?[") != std::string_view::npos;
}

// A folder export holds CSV files; other files beside them (a README, last year's zip) are not
// part of it and are not downloaded.
bool is_csv(const std::string& path) {
  const std::string name = base_name(path);
  if (name.size() < 4) return false;
  std::string suffix = name.substr(name.size() - 4);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return suffix == ".csv";
}

// A local file name for a remote one: its base name, which the server gave us; anything that
// could leave the download folder is refused (a name is never "..", and has no '/').
Result<std::string> local_name(const std::string& remote_path) {
  const std::string name = base_name(remote_path);
  if (name.empty() || name == "." || name == ".." || name.find('\0') != std::string::npos) {
    return make_error(ErrorCode::kCorrupt,
                      "the server listed a file named '{}', which cannot be "
                      "stored locally",
                      name);
  }
  return name;
}

}  // namespace

std::string export_identity(const std::vector<RemoteFile>& files) {
  std::string text;
  for (const RemoteFile& file : files) {
    text += fmt::format("{}\n{}\n{}\n", file.path, file.size, file.mtime);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return text;  // never happens with OpenSSL's default provider; still a usable identity
  }
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

SftpSource::State SftpSource::parse_state(std::string_view state) {
  State parsed;
  if (state.empty()) return parsed;
  boost::system::error_code error;
  const boost::json::value json = boost::json::parse(state, error);
  if (error || !json.is_object()) return parsed;
  const boost::json::object& object = json.get_object();
  if (const auto* remote = object.if_contains("remote"); remote && remote->is_string()) {
    parsed.remote = remote->get_string();
  }
  if (const auto* inner = object.if_contains("inner"); inner && inner->is_string()) {
    parsed.inner = inner->get_string();
  }
  return parsed;
}

std::string SftpSource::format_state(const State& state) {
  boost::json::object object;
  object["remote"] = state.remote;
  object["inner"] = state.inner;
  return boost::json::serialize(object);
}

SftpSource::SftpSource(std::string name, config::SftpSettings settings,
                       const SourceContext& context, MakeLocal make_local, FolderLayout layout)
    : name_(std::move(name)),
      settings_(std::move(settings)),
      context_(context),
      make_local_(std::move(make_local)),
      layout_(std::move(layout)) {}

SftpSource::~SftpSource() {
  remove_download();
  if (!temporary_root_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temporary_root_, ignored);
  }
}

Result<std::unique_ptr<SftpClient>> SftpSource::connect() {
  ConnectOptions options;
  options.endpoint = Endpoint{settings_.host, settings_.port, settings_.user};
  options.pin.fingerprint = settings_.host_key;
  if (settings_.known_hosts) options.pin.known_hosts_file = *settings_.known_hosts;
  options.credentials.private_key_file = settings_.private_key_file;
  options.credentials.passphrase = settings_.passphrase;
  options.credentials.password = settings_.password;
  options.timeout = std::chrono::ceil<std::chrono::seconds>(settings_.timeout);
  options.service_dir = settings_.service_dir;
  std::optional<OfferedKey> refused;
  auto session = SshSession::open(options, &refused);
  if (!session) {
    if (refused && context_.audit) {
      context_.audit("sftp_host_key_refused",
                     {{"host", settings_.host},
                      {"port", std::to_string(settings_.port)},
                      {"offered_key_type", refused->type},
                      {"offered_fingerprint", refused->fingerprint},
                      {"pinned", !settings_.host_key.empty()
                                     ? settings_.host_key
                                     : (settings_.known_hosts ? settings_.known_hosts->string()
                                                              : std::string("nothing"))}});
    }
    return tl::unexpected(session.error());
  }
  ReadOptions read;
  read.read_timeout = settings_.timeout;
  return SftpClient::open(std::move(*session), options.endpoint, read);
}

Result<SftpSource::Export> SftpSource::find_export(SftpClient& client) {
  const std::string where = describe(Endpoint{settings_.host, settings_.port, settings_.user});
  Export found;
  if (has_wildcard(settings_.path)) {
    auto matched = client.glob(settings_.path);
    if (!matched) return tl::unexpected(matched.error());
    if (matched->empty()) {
      return make_error(ErrorCode::kNotFound,
                        "sftp {}: no file matches {}: check path, and that the export job "
                        "writes there",
                        where, settings_.path);
    }
    found.files.push_back(matched->front());  // the newest
    return found;
  }
  auto file = client.stat(settings_.path);
  if (file && *file) {
    found.files.push_back(**file);
    return found;
  }
  if (file) {
    return make_error(ErrorCode::kNotFound,
                      "sftp {}: {} does not exist on the server: check path (a folder, a file, "
                      "or a pattern such as /exports/oneroster_*.zip)",
                      where, settings_.path);
  }
  if (file.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(file.error());
  return find_folder_export(client);  // not a file: a folder
}

Result<SftpSource::Export> SftpSource::find_folder_export(SftpClient& client) {
  const std::string where = describe(Endpoint{settings_.host, settings_.port, settings_.user});
  std::string folder = settings_.path;
  std::string prefix;  // the newest subfolder's name and "/", or ""
  if (!layout_.newest_subfolder.empty()) {
    auto listed = client.subfolders(folder);
    if (!listed) return tl::unexpected(listed.error());
    std::string newest;
    for (const RemoteFile& entry : *listed) {
      const std::string name = base_name(entry.path);
      if (files::glob_match(layout_.newest_subfolder, name)) {
        newest = std::max(newest, name);
      }
    }
    if (newest.empty()) {
      return make_error(ErrorCode::kNotFound,
                        "sftp {}: no folder in {} matches folders: {}: check the pattern, and "
                        "that the export job writes there",
                        where, folder, layout_.newest_subfolder);
    }
    if (auto checked = local_name(newest); !checked) return tl::unexpected(checked.error());
    folder += "/" + newest;
    prefix = newest + "/";
  }
  // The .csv files of the folder, and the matches of the layout's patterns, in their subfolders.
  std::map<std::string, std::vector<std::string>> patterns;  // subfolder ("" for none) -> names
  patterns[""];
  for (const std::string& pattern : layout_.files) {
    const std::size_t slash = pattern.rfind('/');
    patterns[slash == std::string::npos ? "" : pattern.substr(0, slash)].push_back(
        slash == std::string::npos ? pattern : pattern.substr(slash + 1));
  }
  std::vector<std::pair<std::string, RemoteFile>> chosen;  // relative path, file
  for (const auto& [subfolder, names] : patterns) {
    for (const std::filesystem::path& part : std::filesystem::path(subfolder)) {
      if (auto checked = local_name(path_text(part)); !checked) {
        return tl::unexpected(checked.error());
      }
    }
    auto listed = client.list(subfolder.empty() ? folder : folder + "/" + subfolder);
    if (!listed) {
      if (subfolder.empty() || listed.error().code != ErrorCode::kNotFound) {
        return tl::unexpected(listed.error());
      }
      continue;  // a stream's subfolder that is not there: its stream says so
    }
    for (RemoteFile& entry : *listed) {
      const std::string name = base_name(entry.path);
      const bool wanted = (subfolder.empty() && is_csv(entry.path)) ||
                          std::any_of(names.begin(), names.end(), [&](const std::string& pattern) {
                            return files::glob_match(pattern, name);
                          });
      if (wanted) {
        if (auto checked = local_name(name); !checked) return tl::unexpected(checked.error());
        chosen.emplace_back(prefix + (subfolder.empty() ? "" : subfolder + "/") + name,
                            std::move(entry));
      }
    }
  }
  if (chosen.empty()) {
    return make_error(ErrorCode::kNotFound,
                      "sftp {}: folder {} holds no .csv file: check path, and that the export "
                      "job writes there",
                      where, folder);
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const auto& a, const auto& b) { return a.second.path < b.second.path; });
  Export found;
  found.folder = true;
  for (auto& [relative, file] : chosen) {
    found.relative.push_back(std::move(relative));
    found.files.push_back(std::move(file));
  }
  return found;
}

Result<void> SftpSource::check_settled(const Export& found) {
  const env::WallTime now = context_.clock->now();
  const auto settle = settings_.settle;
  std::map<std::string, Seen> seen_now;
  const RemoteFile* unsettled = nullptr;
  std::chrono::milliseconds wait{0};
  for (const RemoteFile& file : found.files) {
    Seen seen{file.size, file.mtime, now};
    if (auto before = seen_.find(file.path); before != seen_.end() &&
                                             before->second.size == file.size &&
                                             before->second.mtime == file.mtime) {
      seen.since = before->second.since;  // unchanged since then
    }
    seen_now.emplace(file.path, seen);
    const env::WallTime modified{std::chrono::seconds(file.mtime)};
    const auto by_mtime = std::chrono::duration_cast<std::chrono::milliseconds>(now - modified);
    const auto by_sight = std::chrono::duration_cast<std::chrono::milliseconds>(now - seen.since);
    if (by_mtime >= settle || by_sight >= settle) continue;
    const auto left = settle - std::max(by_mtime, by_sight);
    if (unsettled == nullptr || left > wait) {
      unsettled = &file;
      wait = left;
    }
  }
  seen_ = std::move(seen_now);
  if (unsettled == nullptr) return {};
  return make_error(ErrorCode::kUnavailable,
                    "sftp {}: {} changed less than settle ({}) ago and may still be being "
                    "written: it is read once it has stayed the same that long",
                    describe(Endpoint{settings_.host, settings_.port, settings_.user}),
                    unsettled->path, config::format_duration(settle));
}

Result<std::filesystem::path> SftpSource::download_root() {
  if (!context_.scratch_dir.empty()) return context_.scratch_dir / "download";
  if (temporary_root_.empty()) {
    auto made = fs::make_private_temp_dir("ferry-" + name_ + "-");
    if (!made) {
      return make_error(made.error().code, "{} for the download", made.error().message);
    }
    temporary_root_ = std::move(*made);
  }
  return temporary_root_ / "download";
}

void SftpSource::remove_download() {
  std::filesystem::path root;
  if (!context_.scratch_dir.empty()) {
    root = context_.scratch_dir / "download";
  } else if (!temporary_root_.empty()) {
    root = temporary_root_ / "download";
  } else {
    return;
  }
  if (auto removed = context_.file_system->remove_all(root); !removed && context_.log) {
    context_.log->warn("cannot remove the downloaded export {}: {}", path_text(root),
                       removed.error().message);
  }
}

Result<std::filesystem::path> SftpSource::download(SftpClient& client, const Export& found,
                                                   const std::stop_token& stop) {
  auto root = download_root();
  if (!root) return tl::unexpected(root.error());
  remove_download();  // what a run that was killed left
  std::filesystem::path folder = *root;
  if (found.folder) folder /= "export";
  if (auto made = context_.file_system->create_directories(folder); !made) {
    return tl::unexpected(made.error());
  }
  if (auto made = context_.file_system->make_private(*root); !made) {
    return tl::unexpected(made.error());
  }
  std::uint64_t bytes = 0;
  std::filesystem::path local;
  for (std::size_t i = 0; i < found.files.size(); ++i) {
    const RemoteFile& file = found.files[i];
    if (found.folder) {
      // A path below the folder, its parts checked when the export was found.
      local = folder / found.relative[i];
      if (auto made = context_.file_system->create_directories(local.parent_path()); !made) {
        return tl::unexpected(made.error());
      }
    } else {
      auto name = local_name(file.path);
      if (!name) return tl::unexpected(name.error());
      local = folder / *name;
    }
    auto got = client.download(file, local, stop);
    if (!got) {
      // A file that changed during its download is being written again: a passing condition,
      // retried soon like a cut connection (kConflict would read as an internal error).
      if (got.error().code == ErrorCode::kConflict) {
        return tl::unexpected(Error{ErrorCode::kUnavailable, got.error().message});
      }
      return tl::unexpected(got.error());
    }
    bytes += *got;
  }
  if (context_.log) {
    context_.log->info("downloaded {} file(s), {} bytes, from sftp {}", found.files.size(), bytes,
                       describe(Endpoint{settings_.host, settings_.port, settings_.user}));
  }
  return found.folder ? folder : local;
}

Result<std::vector<StreamInfo>> SftpSource::streams() {
  auto client = connect();
  if (!client) return tl::unexpected(client.error());
  auto found = find_export(**client);
  if (!found) return tl::unexpected(found.error());
  auto local = download(**client, *found, {});
  client->reset();
  if (!local) return tl::unexpected(local.error());
  auto inner = make_local_(*local);
  if (!inner) return tl::unexpected(inner.error());
  auto streams = (*inner)->streams();
  inner->reset();
  remove_download();
  return streams;
}

Result<void> SftpSource::check() {
  auto client = connect();
  if (!client) return tl::unexpected(client.error());
  auto found = find_export(**client);
  if (!found) return tl::unexpected(found.error());
  return {};
}

Result<std::string> SftpSource::read(const ResumeState& state, RowSink& sink,
                                     std::stop_token stop) {
  const State before = parse_state(state.source);
  auto client = connect();
  if (!client) return tl::unexpected(client.error());
  auto found = find_export(**client);
  if (!found) return tl::unexpected(found.error());
  if (auto settled = check_settled(*found); !settled) return tl::unexpected(settled.error());
  const std::string identity = export_identity(found->files);
  if (identity == before.remote) {
    if (context_.log) {
      context_.log->debug("sftp export {} is unchanged since the last run: not downloaded",
                          settings_.path);
    }
    return std::string(state.source);
  }
  auto local = download(**client, *found, stop);
  client->reset();  // the connection is not needed while the rows are read
  if (!local) {
    remove_download();
    return tl::unexpected(local.error());
  }
  auto inner = make_local_(*local);
  if (!inner) {
    remove_download();
    return tl::unexpected(inner.error());
  }
  ResumeState inner_state;
  inner_state.source = before.inner;
  inner_state.streams = state.streams;
  auto read = (*inner)->read(inner_state, sink, std::move(stop));
  inner->reset();
  remove_download();
  if (!read) return tl::unexpected(read.error());
  return format_state(State{identity, *read});
}

}  // namespace ferry::connectors::sftp
