// What the configuration loader needs to know about connectors without depending on them: each
// source type's option table, declared as data by the connector (Fluent Bit style), and the names
// of the built-in field-policy presets. The agent builds it from the connector registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::config {

enum class OptionKind {
  kString,      // stored as std::string
  kPath,        // std::string; must not be empty
  kInteger,     // std::int64_t
  kBool,        // bool
  kDuration,    // Duration ("500ms", "2s", "15m", "1h", "1d")
  kSize,        // std::int64_t bytes ("512KiB", "8MiB", "1GiB", or a plain number)
  kStringList,  // std::vector<std::string>, from a YAML sequence
  kStringMap,   // StringPairs, from a YAML map of strings, in the order written
};

struct OptionSpec {
  std::string name;
  OptionKind kind = OptionKind::kString;
  bool required = false;
  std::string description;
  bool secret = false;  // a password or key: messages name the option but never echo its value
  // For kString: the values allowed (a near miss gets a did-you-mean); empty: any text.
  std::vector<std::string> choices = {};
};

struct SourceTypeSpec {
  std::string type;  // `type:` value, e.g. "oneroster_csv"
  std::string description;
  std::vector<OptionSpec> options;         // keys beside name/type/schedule/preset/streams
  std::vector<OptionSpec> stream_options;  // keys beside key/default/fields in streams.<name>
  // A file source: it reads a local `path` (an option of its table, then not required by the
  // loader) or an export fetched over SFTP (`sftp:`, SftpSettings), exactly one of the two.
  bool file_source = false;
  // The presets `preset:` may name for this type (besides `none`); empty: none.
  std::vector<std::string> presets = {};
  // An API source (oneroster_rest, edfi, canvas): besides its own options it takes url, ca_file,
  // proxy, auth and the HTTP limits (ApiSettings), url and auth required. Last, so that specs
  // written positionally before it existed still compile.
  bool api_source = false;
};

struct Catalog {
  std::vector<SourceTypeSpec> source_types;
  std::vector<std::string> presets;  // names accepted by `preset:`

  // The spec of `type`, or nullptr when no connector has that type.
  const SourceTypeSpec* find_source_type(std::string_view type) const {
    for (const SourceTypeSpec& spec : source_types) {
      if (spec.type == type) return &spec;
    }
    return nullptr;
  }
};

}  // namespace ferry::config
