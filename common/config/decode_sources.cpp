#include <map>

#include "common/config/decode.hpp"
#include "common/config/did_you_mean.hpp"
#include "common/config/schedule.hpp"
#include "common/config/text.hpp"

namespace ferry::config::detail {

namespace {

// Keys every source has, whatever its type; the connector's options come beside them.
const std::vector<std::string>& common_source_keys() {
  static const std::vector<std::string> keys = {
      "name", "type", "schedule", "preset", "streams", "mass_delete_percent", "stale_after"};
  return keys;
}

std::vector<std::string> type_names(const Catalog& catalog) {
  std::vector<std::string> names;
  for (const SourceTypeSpec& spec : catalog.source_types) names.push_back(spec.type);
  return names;
}

// Reports an unknown `value` among `known` with a did-you-mean and the full list.
void report_unknown(Context& ctx, Location at, std::string_view what, const std::string& value,
                    const std::vector<std::string>& known, std::string_view where) {
  const auto guess = did_you_mean(value, known);
  ctx.error(at, "unknown {} '{}' {} ({}known: {})", what, value, where,
            guess ? fmt::format("did you mean '{}'? ", *guess) : "",
            known.empty() ? std::string("none") : join_choices(known, "and"));
}

struct SourceNameSeen {
  std::map<std::string, int, std::less<>> first_line;
};

// A file source reads a local `path` or fetches over `sftp:`: exactly one of the two.
void decode_file_location(Context& ctx, MapReader& map, const std::string& where,
                          const std::filesystem::path& data_dir, SourceSettings& source) {
  const Entry* sftp = map.find("sftp");
  const Entry* path = map.find("path");
  if (sftp != nullptr && path != nullptr) {
    const Entry* second = sftp->key_at().line > path->key_at().line ? sftp : path;
    ctx.error(second->key_at(),
              "set either path (a local folder or file) or sftp (fetched from an SFTP server) in "
              "{}, not both",
              where);
    return;
  }
  if (sftp == nullptr && path == nullptr) {
    ctx.error(map.at(),
              "missing required key 'path' {} (the local folder or file to read), or sftp: to "
              "fetch it from an SFTP server",
              map.where_phrase());
    return;
  }
  if (sftp != nullptr) source.sftp = decode_sftp(ctx, *sftp, where, data_dir);
}

SourceSettings decode_source(Context& ctx, const YAML::Node& item, std::size_t index,
                             SourceNameSeen& seen, const std::filesystem::path& data_dir) {
  SourceSettings source;
  source.at = location_of(item);
  // Messages name the source by its name when it has a valid one, else by its position.
  std::string where = fmt::format("source #{}", index + 1);
  for (const auto& pair : item) {
    if (pair.first.IsScalar() && pair.first.Scalar() == "name" && pair.second.IsScalar()) {
      const std::string name = pair.second.Scalar();
      if (is_name(name, "_-", false)) where = fmt::format("source '{}'", name);
      break;
    }
  }
  MapReader map(ctx, item, source.at, where, Naming::kItem);

  if (const Entry* name = map.require("name", " (a short name such as sis)")) {
    if (auto text = read_nonempty_string(ctx, *name)) {
      if (!is_name(*text, "_-", false)) {
        ctx.error(name->value_at(),
                  "source name '{}' may only use a-z, 0-9, '_' and '-' (it names folders and "
                  "status entries)",
                  *text);
      } else if (auto first = seen.first_line.find(*text); first != seen.first_line.end()) {
        ctx.error(name->value_at(),
                  "duplicate source name '{}' (first used at line {}): give each source its own "
                  "name",
                  *text, first->second);
      } else {
        seen.first_line.emplace(*text, name->value_at().line);
        source.name = std::move(*text);
      }
    }
  }

  const SourceTypeSpec* type = nullptr;
  if (const Entry* type_entry = map.require("type", " (the connector, such as oneroster_csv)")) {
    if (auto text = read_nonempty_string(ctx, *type_entry)) {
      type = ctx.catalog().find_source_type(*text);
      if (type == nullptr) {
        report_unknown(ctx, type_entry->value_at(), "source type", *text, type_names(ctx.catalog()),
                       map.where_phrase());
      } else {
        source.type = std::move(*text);
      }
    }
  }

  if (const Entry* schedule = map.find("schedule")) {
    if (auto text = read_nonempty_string(ctx, *schedule)) {
      if (auto parsed = parse_schedule(*text)) {
        source.schedule = std::move(*parsed);
      } else {
        ctx.error(schedule->value_at(), "{}: {}", schedule->label, parsed.error().message);
      }
    }
  }

  if (const Entry* preset = map.find("preset")) {
    // `none`: no preset, only the streams written (as when preset: is left out).
    if (auto text = read_nonempty_string(ctx, *preset); text && *text != "none") {
      // A type takes its own presets only; an unknown type (reported above) any of the catalog's.
      const std::vector<std::string>& presets =
          type != nullptr ? type->presets : ctx.catalog().presets;
      if (std::find(presets.begin(), presets.end(), *text) == presets.end()) {
        report_unknown(ctx, preset->value_at(), "preset", *text, presets,
                       type != nullptr
                           ? fmt::format("for type {} {}", type->type, map.where_phrase())
                           : map.where_phrase());
      } else {
        source.preset = std::move(*text);
      }
    }
  }

  if (const Entry* guard = map.find("mass_delete_percent")) {
    if (auto percent = read_int(ctx, *guard, 0, 100)) {
      source.mass_delete_percent = static_cast<int>(*percent);
    }
  }

  if (const Entry* stale_after = map.find("stale_after")) {
    if (auto after = read_duration(ctx, *stale_after, std::chrono::minutes(1))) {
      // No shorter than the time between two runs, or the source would be flagged between
      // every two runs whatever its data does (a cron schedule is not checked).
      if (source.schedule.kind == Schedule::Kind::kEvery && *after <= source.schedule.every) {
        ctx.error(stale_after->value_at(),
                  "stale_after {} of {} is not longer than its schedule (every {}): it would be "
                  "stale between any two runs; give it more than the time between two changes "
                  "of the data, such as 36h for a nightly export",
                  format_duration(*after), where, format_duration(source.schedule.every));
      } else {
        source.stale_after = *after;
      }
    }
  }

  if (type != nullptr) {
    // Unknown keys can only be told apart once the connector's option table is known.
    std::vector<std::string> known = common_source_keys();
    for (const OptionSpec& option : type->options) known.push_back(option.name);
    std::vector<OptionSpec> options = type->options;
    if (type->file_source) {
      known.push_back("sftp");
      // `path` or `sftp`: checked together below instead of `path` alone.
      for (OptionSpec& option : options) {
        if (option.name == "path") option.required = false;
      }
    }
    if (type->api_source) {
      const std::vector<std::string>& api_keys = api_source_keys();
      known.insert(known.end(), api_keys.begin(), api_keys.end());
    }
    map.check_keys(known);
    source.options = decode_options(ctx, map, options, type->type);
    if (type->file_source) decode_file_location(ctx, map, where, data_dir, source);
    if (type->api_source) source.api = decode_api(ctx, map, where, data_dir);
  }

  if (const Entry* streams = map.find("streams")) {
    source.streams = decode_streams(ctx, *streams, type, where);
    for (const StreamSettings& stream : source.streams) {
      if (stream.extends_preset && !source.preset) {
        ctx.error(stream.at,
                  "stream '{}' of {} says extends: preset, but the source has no preset: add "
                  "one (such as preset: oneroster) or write the whole stream without extends",
                  stream.name, where);
      }
    }
  }
  return source;
}

}  // namespace

std::vector<SourceSettings> decode_sources(Context& ctx, const Entry& entry,
                                           const std::filesystem::path& data_dir) {
  std::vector<SourceSettings> sources;
  if (entry.value.IsNull()) return sources;
  if (!entry.value.IsSequence()) {
    ctx.error(entry.value_at(), "sources must be a list, each item starting with '- name:', not {}",
              describe(entry.value));
    return sources;
  }
  SourceNameSeen seen;
  std::size_t index = 0;
  for (const YAML::Node& item : entry.value) {
    if (!item.IsMap()) {
      const Location at = location_of(item);
      ctx.error(at.line == 0 ? entry.value_at() : at,
                "source #{} must be a map (name:, type:, ...), not {}", index + 1, describe(item));
    } else {
      sources.push_back(decode_source(ctx, item, index, seen, data_dir));
    }
    ++index;
  }
  return sources;
}

}  // namespace ferry::config::detail
