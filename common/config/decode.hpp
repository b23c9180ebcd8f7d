// Internal to the loader: one decode function per settings struct (Falco style). Each reads its
// map, reports every problem it finds to the Context, and returns what it could decode; the
// caller throws the result away when the Context holds any diagnostic.
#pragma once

#include <map>
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
UplinkSettings decode_uplink(Context& ctx, const Entry& entry, const std::filesystem::path& data_dir);
BatchSettings decode_batch(Context& ctx, const Entry& entry);
ReconnectSettings decode_reconnect(Context& ctx, const Entry& entry);
SpoolSettings decode_spool(Context& ctx, const Entry& entry);
// `data_dir`: the agent's, whose owner is trusted with an sftp source's key and password files.
std::vector<SourceSettings> decode_sources(Context& ctx, const Entry& entry,
                                           const std::filesystem::path& data_dir);
// `sftp:` of a file source (`where`: "source 'sis'").
SftpSettings decode_sftp(Context& ctx, const Entry& entry, const std::string& where,
                         const std::filesystem::path& data_dir);
std::vector<StreamSettings> decode_streams(Context& ctx, const Entry& entry,
                                           const SourceTypeSpec* type,
                                           const std::string& source_where);
FieldPolicy decode_field(Context& ctx, const Entry& entry, const std::string& stream_name);

// Connector options (`path:` of a source, `query:` of a stream) typed by the connector's table.
// Reports missing required ones at the map; unknown keys are the caller's to check.
std::map<std::string, OptionValue, std::less<>> decode_options(Context& ctx, MapReader& map,
                                                               const std::vector<OptionSpec>& specs,
                                                               const std::string& type_name);

// The 32-byte X25519 key from its standard base64 text (surrounding white space ignored).
Result<std::vector<std::uint8_t>> decode_public_key(std::string_view base64);

}  // namespace ferry::config::detail
