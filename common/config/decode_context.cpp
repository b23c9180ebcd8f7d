#include "common/config/decode_context.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "common/config/did_you_mean.hpp"
#include "common/config/size.hpp"
#include "common/config/text.hpp"

namespace ferry::config::detail {

Location location_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

Context::Context(std::filesystem::path file, const Catalog& catalog, EnvLookup env)
    : file_(std::move(file)), catalog_(catalog), env_(std::move(env)) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file_, ec);
  base_dir_ = ec ? file_.parent_path() : absolute.parent_path();
}

std::filesystem::path Context::resolve(const std::filesystem::path& path) const {
  if (path.is_absolute()) return path.lexically_normal();
  return (base_dir_ / path).lexically_normal();
}

void Context::report(Location at, std::string message) {
  diagnostics_.push_back(Diagnostic{file_, at, std::move(message)});
}

Diagnostics Context::take_diagnostics() { return std::move(diagnostics_); }

Location Entry::value_at() const {
  if (!value.IsDefined() || value.IsNull()) return key_at();
  const Location at = location_of(value);
  return at.line == 0 ? key_at() : at;
}

MapReader::MapReader(Context& ctx, const YAML::Node& map, Location at, std::string where,
                     Naming naming)
    : ctx_(ctx), at_(at), where_(std::move(where)), naming_(naming) {
  if (!map.IsMap()) return;
  // Range-for keeps each yaml-cpp pair alive; `it->first` would refer into a temporary.
  for (const auto& pair : map) {
    const YAML::Node key = pair.first;
    if (!key.IsScalar()) {
      ctx_.error(location_of(key), "keys {} must be plain names, not {}", where_phrase(),
                 describe(key));
      continue;
    }
    const std::string name = key.Scalar();
    if (const Entry* first = find(name)) {
      ctx_.error(location_of(key), "duplicate key '{}' {} (first at line {}): keep only one", name,
                 where_phrase(), first->key_at().line);
      continue;
    }
    entries_.push_back(Entry{name, key, pair.second, label(name)});
  }
}

const Entry* MapReader::find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

const Entry* MapReader::require(std::string_view key, std::string_view why) {
  const Entry* entry = find(key);
  if (entry == nullptr) ctx_.error(at_, "missing required key '{}' {}{}", key, where_phrase(), why);
  return entry;
}

void MapReader::check_keys(const std::vector<std::string>& known) {
  for (const Entry& entry : entries_) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
    if (auto guess = did_you_mean(entry.key, known)) {
      ctx_.error(entry.key_at(), "unknown key '{}' {} (did you mean '{}'?)", entry.key,
                 where_phrase(), *guess);
    } else {
      ctx_.error(entry.key_at(), "unknown key '{}' {} (known keys: {})", entry.key, where_phrase(),
                 fmt::join(known, ", "));
    }
  }
}

std::string MapReader::label(std::string_view key) const {
  if (naming_ == Naming::kItem) return fmt::format("'{}' in {}", key, where_);
  if (where_.empty()) return std::string(key);
  return fmt::format("{}.{}", where_, key);
}

std::string MapReader::where_phrase() const {
  if (where_.empty()) return "at the top level";
  return "in " + where_;
}

std::string_view describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "empty";
}

std::optional<MapReader> open_map(Context& ctx, const Entry& entry, std::string where,
                                  Naming naming) {
  if (!entry.value.IsMap() && !entry.value.IsNull()) {
    ctx.error(entry.value_at(), "{} must be a map (indented key: value lines), not {}", entry.label,
              describe(entry.value));
    return std::nullopt;
  }
  const Location at = entry.value.IsMap() ? location_of(entry.value) : entry.key_at();
  return MapReader(ctx, entry.value, at, std::move(where), naming);
}

namespace {

// The text of a scalar after ${VAR} expansion, or nullopt after reporting why there is none.
std::optional<std::string> scalar_text(Context& ctx, const Entry& entry,
                                       std::string_view expected) {
  if (entry.value.IsNull() || !entry.value.IsDefined()) {
    ctx.error(entry.key_at(), "{} has no value: write {} after '{}:'", entry.label, expected,
              entry.key);
    return std::nullopt;
  }
  if (!entry.value.IsScalar()) {
    ctx.error(entry.value_at(), "{} must be {}, not {}", entry.label, expected,
              describe(entry.value));
    return std::nullopt;
  }
  auto expanded = expand_env(entry.value.Scalar(), ctx.env());
  if (!expanded) {
    ctx.error(entry.value_at(), "{}: {}", entry.label, expanded.error().message);
    return std::nullopt;
  }
  return std::move(*expanded);
}

}  // namespace

std::optional<std::string> read_string(Context& ctx, const Entry& entry) {
  return scalar_text(ctx, entry, "a text value");
}

std::optional<std::string> read_nonempty_string(Context& ctx, const Entry& entry) {
  auto text = read_string(ctx, entry);
  if (text && text->empty()) {
    ctx.error(entry.value_at(), "{} is empty: write a value or remove the key", entry.label);
    return std::nullopt;
  }
  return text;
}

std::optional<bool> read_bool(Context& ctx, const Entry& entry) {
  auto text = scalar_text(ctx, entry, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  ctx.error(entry.value_at(), "{} must be true or false, got '{}'", entry.label, *text);
  return std::nullopt;
}

std::optional<std::int64_t> read_int(Context& ctx, const Entry& entry, std::int64_t min,
                                     std::int64_t max) {
  constexpr std::int64_t kLowest = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kHighest = std::numeric_limits<std::int64_t>::max();
  std::string expected = "a whole number";
  if (min != kLowest && max != kHighest) {
    expected = fmt::format("a whole number from {} to {}", min, max);
  } else if (min != kLowest) {
    expected = fmt::format("a whole number of {} or more", min);
  } else if (max != kHighest) {
    expected = fmt::format("a whole number of {} or less", max);
  }
  auto text = scalar_text(ctx, entry, expected);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const std::string_view view = trim(*text);
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (view.empty() || ec != std::errc() || end != view.data() + view.size() || value < min ||
      value > max) {
    ctx.error(entry.value_at(), "{} must be {}, got '{}'", entry.label, expected, *text);
    return std::nullopt;
  }
  return value;
}

std::optional<double> read_double(Context& ctx, const Entry& entry) {
  constexpr std::string_view kExpected = "a number such as 10 or 0.5";
  auto text = scalar_text(ctx, entry, kExpected);
  if (!text) return std::nullopt;
  double value = 0;
  const std::string_view view = trim(*text);
  const auto [end, ec] =
      std::from_chars(view.data(), view.data() + view.size(), value, std::chars_format::fixed);
  if (view.empty() || ec != std::errc() || end != view.data() + view.size() ||
      !std::isfinite(value)) {
    ctx.error(entry.value_at(), "{} must be {}, got '{}'", entry.label, kExpected, *text);
    return std::nullopt;
  }
  return value;
}

std::optional<Duration> read_duration(Context& ctx, const Entry& entry, Duration min) {
  auto text = scalar_text(ctx, entry, "a duration such as 2s or 15m");
  if (!text) return std::nullopt;
  auto duration = parse_duration(*text);
  if (!duration) {
    ctx.error(entry.value_at(), "{}: {}", entry.label, duration.error().message);
    return std::nullopt;
  }
  if (*duration < min) {
    if (min == Duration(1)) {
      ctx.error(entry.value_at(), "{} must be more than 0, got '{}'", entry.label, *text);
    } else {
      ctx.error(entry.value_at(), "{} must be at least {}, got '{}'", entry.label,
                format_duration(min), *text);
    }
    return std::nullopt;
  }
  return *duration;
}

std::optional<std::uint64_t> read_size(Context& ctx, const Entry& entry, std::uint64_t min,
                                       std::uint64_t max) {
  auto text = scalar_text(ctx, entry, "a size such as 512KiB or 8MiB");
  if (!text) return std::nullopt;
  auto size = parse_size(*text);
  if (!size) {
    ctx.error(entry.value_at(), "{}: {}", entry.label, size.error().message);
    return std::nullopt;
  }
  if (*size < min) {
    if (min == 1) {
      ctx.error(entry.value_at(), "{} must be more than 0, got '{}'", entry.label, *text);
    } else {
      ctx.error(entry.value_at(), "{} must be at least {}, got '{}'", entry.label, format_size(min),
                *text);
    }
    return std::nullopt;
  }
  if (*size > max) {
    ctx.error(entry.value_at(), "{} must be at most {}, got '{}'", entry.label, format_size(max),
              *text);
    return std::nullopt;
  }
  return *size;
}

std::optional<std::filesystem::path> read_path(Context& ctx, const Entry& entry) {
  auto text = read_nonempty_string(ctx, entry);
  if (!text) return std::nullopt;
  return ctx.resolve(*text);
}

std::optional<std::string> read_choice(Context& ctx, const Entry& entry,
                                       const std::vector<std::string>& choices) {
  const std::string expected = join_choices(choices);
  auto text = scalar_text(ctx, entry, expected);
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
  if (auto guess = did_you_mean(*text, choices)) {
    ctx.error(entry.value_at(), "{} must be {}, got '{}' (did you mean '{}'?)", entry.label,
              expected, *text, *guess);
  } else {
    ctx.error(entry.value_at(), "{} must be {}, got '{}'", entry.label, expected, *text);
  }
  return std::nullopt;
}

std::optional<std::vector<ListItem>> read_string_list(Context& ctx, const Entry& entry) {
  std::vector<ListItem> items;
  if (entry.value.IsNull()) return items;
  if (!entry.value.IsSequence()) {
    ctx.error(entry.value_at(), "{} must be a list, as in [a, b], not {}", entry.label,
              describe(entry.value));
    return std::nullopt;
  }
  bool ok = true;
  for (const YAML::Node& item : entry.value) {
    const Location at = location_of(item);
    if (!item.IsScalar()) {
      ctx.error(at.line == 0 ? entry.value_at() : at,
                "each item of {} must be a single value, not {}", entry.label, describe(item));
      ok = false;
      continue;
    }
    auto expanded = expand_env(item.Scalar(), ctx.env());
    if (!expanded) {
      ctx.error(at, "{}: {}", entry.label, expanded.error().message);
      ok = false;
      continue;
    }
    items.push_back(ListItem{std::move(*expanded), at});
  }
  if (!ok) return std::nullopt;
  return items;
}

}  // namespace ferry::config::detail
