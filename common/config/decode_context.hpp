// Internal to the loader: the state of one decoding pass (collected diagnostics, where relative
// paths are resolved from) and typed readers over yaml-cpp nodes that report problems as
// diagnostics at the node's line and column instead of throwing. Not a public header: only
// common/config/*.cpp include it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/config/catalog.hpp"
#include "common/config/env_expand.hpp"
#include "common/config/load.hpp"
#include "common/config/settings.hpp"

namespace ferry::config::detail {

// 1-based line and column of a node; {0, 0} when yaml-cpp has no mark for it.
Location location_of(const YAML::Node& node);

class Context {
 public:
  Context(std::filesystem::path file, const Catalog& catalog, EnvLookup env = process_env);

  const Catalog& catalog() const { return catalog_; }
  const EnvLookup& env() const { return env_; }
  const std::filesystem::path& file() const { return file_; }

  // False: files that hold secrets (uplink.token_file, uplink.client_key) are neither opened nor
  // checked; their paths are kept and their content left empty (load.hpp, LoadOptions).
  bool read_secret_files() const { return read_secret_files_; }
  void set_read_secret_files(bool read) { read_secret_files_ = read; }
  // LoadOptions::allow_unpinned_host_keys.
  bool allow_unpinned_host_keys() const { return allow_unpinned_host_keys_; }
  void set_allow_unpinned_host_keys(bool allow) { allow_unpinned_host_keys_ = allow; }

  // `path` made absolute against the configuration file's folder when it is relative.
  std::filesystem::path resolve(const std::filesystem::path& path) const;

  // Records one problem; the message is a fmt format string (write {{ for a literal brace).
  template <class... Args>
  void error(Location at, fmt::format_string<Args...> format, Args&&... args) {
    report(at, fmt::format(format, std::forward<Args>(args)...));
  }
  void report(Location at, std::string message);

  std::size_t error_count() const { return diagnostics_.size(); }
  Diagnostics take_diagnostics();

 private:
  std::filesystem::path file_;
  std::filesystem::path base_dir_;
  const Catalog& catalog_;
  EnvLookup env_;
  Diagnostics diagnostics_;
  bool read_secret_files_ = true;
  bool allow_unpinned_host_keys_ = false;
};

// How a map's keys are named in messages: sections by their dotted path ("uplink.max_in_flight"),
// items of a list or of a user-named map by a phrase ("'path' in source 'sis'").
enum class Naming { kSection, kItem };

// One `key: value` of a map.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  std::string label;  // how messages name it: "uplink.url", "'path' in source 'sis'"

  Location key_at() const { return location_of(key_node); }
  // Where the value is; an empty value has no useful mark of its own, so its key's.
  Location value_at() const;
};

// One YAML map being decoded. Construction reports keys that are not plain scalars and duplicate
// keys (the first one wins); check_keys() reports unknown ones with a did-you-mean.
class MapReader {
 public:
  // `map` must be a map or null (an empty map); `at` is where messages about the whole map point.
  MapReader(Context& ctx, const YAML::Node& map, Location at, std::string where, Naming naming);

  const Entry* find(std::string_view key) const;
  // Like find(), and reports "missing required key" at the map when absent. `why` is appended.
  const Entry* require(std::string_view key, std::string_view why = {});
  // Reports every key not in `known`.
  void check_keys(const std::vector<std::string>& known);

  const std::vector<Entry>& entries() const { return entries_; }
  Location at() const { return at_; }
  const std::string& where() const { return where_; }
  std::string label(std::string_view key) const;
  // "in uplink", "at the top level", "in source 'sis'".
  std::string where_phrase() const;

 private:
  Context& ctx_;
  Location at_;
  std::string where_;
  Naming naming_;
  std::vector<Entry> entries_;
};

// "a list", "a map", "empty", "a single value": what a node is, for type mismatch messages.
std::string_view describe(const YAML::Node& node);

// The map under `entry`, or nullopt (reported) when the value is not a map. A null value is an
// empty map. `where` names the new map in messages.
std::optional<MapReader> open_map(Context& ctx, const Entry& entry, std::string where,
                                  Naming naming);

// Typed readers. Each returns nullopt after reporting the problem at the value's location.
// Every string read goes through ${VAR} expansion. None of them echoes a text value in its
// messages (it may be a token); numbers, durations, sizes and choices are echoed.
std::optional<std::string> read_string(Context& ctx, const Entry& entry);
std::optional<std::string> read_nonempty_string(Context& ctx, const Entry& entry);
std::optional<bool> read_bool(Context& ctx, const Entry& entry);
std::optional<std::int64_t> read_int(Context& ctx, const Entry& entry, std::int64_t min,
                                     std::int64_t max);
// A decimal number such as 10 or 0.5 (no exponent, no inf or nan); the range is the caller's to
// check and explain.
std::optional<double> read_double(Context& ctx, const Entry& entry);
std::optional<Duration> read_duration(Context& ctx, const Entry& entry, Duration min);
std::optional<std::uint64_t> read_size(Context& ctx, const Entry& entry, std::uint64_t min,
                                       std::uint64_t max);
// A non-empty path, resolved against the configuration file's folder.
std::optional<std::filesystem::path> read_path(Context& ctx, const Entry& entry);
// One of `choices`; a near miss gets a did-you-mean.
std::optional<std::string> read_choice(Context& ctx, const Entry& entry,
                                       const std::vector<std::string>& choices);

struct ListItem {
  std::string value;
  Location at;
};
// A YAML sequence of strings ([a, b] or "- a" lines); null is an empty list.
std::optional<std::vector<ListItem>> read_string_list(Context& ctx, const Entry& entry);

}  // namespace ferry::config::detail
