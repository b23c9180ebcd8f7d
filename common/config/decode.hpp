// Internal to the loader: one decode function per settings struct (Falco style). Each reads its
// map, reports every problem it finds to the Context, and returns what it could decode; the
// caller throws the result away when the Context holds any diagnostic.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/config/catalog.hpp"
#include "common/config/decode_context.hpp"
#include "common/config/settings.hpp"

namespace ferry::config::detail {

// The whole file; `root` is the document's top node (already known to be a map).
Settings decode_settings(Context& ctx, const YAML::Node& root);

AgentSettings decode_agent(Context& ctx, const Entry& entry);
LogSettings decode_log(Context& ctx, const Entry& entry);
// `data_dir`: the agent's, whose owner is trusted with uplink.token_file when root runs Ferry.
UplinkSettings decode_uplink(Context& ctx, const Entry& entry,
                             const std::filesystem::path& data_dir);
BatchSettings decode_batch(Context& ctx, const Entry& entry);
ReconnectSettings decode_reconnect(Context& ctx, const Entry& entry);
SpoolSettings decode_spool(Context& ctx, const Entry& entry);
// `data_dir`: the agent's, whose owner is trusted with the secret files of sftp and API sources.
std::vector<SourceSettings> decode_sources(Context& ctx, const Entry& entry,
                                           const std::filesystem::path& data_dir);
// `sftp:` of a file source (`where`: "source 'sis'").
SftpSettings decode_sftp(Context& ctx, const Entry& entry, const std::string& where,
                         const std::filesystem::path& data_dir);
// The keys an API source (SourceTypeSpec::api_source) takes beside the connector's own options.
const std::vector<std::string>& api_source_keys();
// url, ca_file, proxy, auth and the HTTP limits of an API source, from the source's own map
// (`where`: "source 'sis_api'"); reports a missing url or auth at the map.
ApiSettings decode_api(Context& ctx, MapReader& map, const std::string& where,
                       const std::filesystem::path& data_dir);
std::vector<StreamSettings> decode_streams(Context& ctx, const Entry& entry,
                                           const SourceTypeSpec* type,
                                           const std::string& source_where);
FieldPolicy decode_field(Context& ctx, const Entry& entry, const std::string& stream_name);

// A file that exists and can be read (its path as written).
std::optional<std::filesystem::path> read_readable_file(Context& ctx, const Entry& entry);
// A CA file: readable and holding PEM certificates, found at validation rather than at the first
// connection. `server` ("the API server's") makes a file without any certificate line say whose
// CA certificate to give; "" leaves that to the certificate count's own message.
std::optional<std::filesystem::path> read_ca_file(Context& ctx, const Entry& entry,
                                                  std::string_view server);
// An HTTP CONNECT proxy, http://[user:pass@]host:port (uplink.proxy, a source's proxy). The
// message never repeats the value, which may hold a password.
std::optional<std::string> read_proxy(Context& ctx, const Entry& entry);

// Connector options (`path:` of a source, `query:` of a stream) typed by the connector's table.
// Reports missing required ones at the map; unknown keys are the caller's to check.
std::map<std::string, OptionValue, std::less<>> decode_options(Context& ctx, MapReader& map,
                                                               const std::vector<OptionSpec>& specs,
                                                               const std::string& type_name);

// Secrets of the configuration (decode_secret.cpp): SFTP's and API sources' passwords, passphrases
// and client secrets, read the same way. Their text never appears in a message.
inline constexpr std::size_t kMaxSecretFileSize = 64 * 1024;
// A secret kept in a file: one line, a final line break not part of it. The file is held to
// fs::read_secret_file's rules (SecretSharing::kRootToOwnGroup, `data_dir` the service's folder).
// `path_out` gets the path once it is valid, also when secrets are not read. nullopt after
// reporting, or when secrets are not read (LoadOptions::read_secret_files).
std::optional<std::string> read_secret_line(Context& ctx, const Entry& entry,
                                            const std::filesystem::path& data_dir,
                                            std::optional<std::filesystem::path>& path_out);
// A secret written in the file, usually `${VAR}`: refused when empty (a variable set but empty).
std::optional<std::string> read_inline_secret(Context& ctx, const Entry& entry);

// The 32-byte X25519 key from its standard base64 text (surrounding white space ignored).
Result<std::vector<std::uint8_t>> decode_public_key(std::string_view base64);

}  // namespace ferry::config::detail
