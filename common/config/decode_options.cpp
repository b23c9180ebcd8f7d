#include <limits>

#include "common/config/decode.hpp"

namespace ferry::config::detail {

namespace {

std::optional<OptionValue> decode_option(Context& ctx, const Entry& entry, const OptionSpec& spec) {
  OptionValue out;
  out.at = entry.value_at();
  switch (spec.kind) {
    case OptionKind::kString: {
      if (!spec.choices.empty()) {
        auto choice = read_choice(ctx, entry, spec.choices);
        if (!choice) return std::nullopt;
        out.value = std::move(*choice);
        return out;
      }
      auto text = read_string(ctx, entry);
      if (!text) return std::nullopt;
      out.value = std::move(*text);
      return out;
    }
    case OptionKind::kPath: {
      auto path = read_path(ctx, entry);
      if (!path) return std::nullopt;
      out.value = path->string();
      return out;
    }
    case OptionKind::kInteger: {
      auto n = read_int(ctx, entry, std::numeric_limits<std::int64_t>::min(),
                        std::numeric_limits<std::int64_t>::max());
      if (!n) return std::nullopt;
      out.value = *n;
      return out;
    }
    case OptionKind::kBool: {
      auto flag = read_bool(ctx, entry);
      if (!flag) return std::nullopt;
      out.value = *flag;
      return out;
    }
    case OptionKind::kDuration: {
      auto duration = read_duration(ctx, entry, Duration(0));
      if (!duration) return std::nullopt;
      out.value = *duration;
      return out;
    }
    case OptionKind::kSize: {
      auto size = read_size(ctx, entry, 0, std::numeric_limits<std::int64_t>::max());
      if (!size) return std::nullopt;
      out.value = static_cast<std::int64_t>(*size);
      return out;
    }
    case OptionKind::kStringList: {
      auto items = read_string_list(ctx, entry);
      if (!items) return std::nullopt;
      std::vector<std::string> values;
      values.reserve(items->size());
      for (ListItem& item : *items) values.push_back(std::move(item.value));
      out.value = std::move(values);
      return out;
    }
    case OptionKind::kStringMap: {
      auto map = open_map(ctx, entry, entry.label, Naming::kItem);
      if (!map) return std::nullopt;
      StringPairs pairs;
      bool good = true;
      for (const Entry& item : map->entries()) {
        auto text = read_string(ctx, item);
        if (!text) {
          good = false;
          continue;
        }
        pairs.emplace_back(item.key, std::move(*text));
      }
      if (!good) return std::nullopt;
      out.value = std::move(pairs);
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace

std::map<std::string, OptionValue, std::less<>> decode_options(Context& ctx, MapReader& map,
                                                               const std::vector<OptionSpec>& specs,
                                                               const std::string& type_name) {
  std::map<std::string, OptionValue, std::less<>> options;
  for (const OptionSpec& spec : specs) {
    const Entry* entry = map.find(spec.name);
    if (entry == nullptr) {
      if (spec.required) {
        ctx.error(map.at(), "missing required key '{}' {} (the {} connector needs it{}{})",
                  spec.name, map.where_phrase(), type_name, spec.description.empty() ? "" : ": ",
                  spec.description);
      }
      continue;
    }
    if (auto value = decode_option(ctx, *entry, spec))
      options.emplace(spec.name, std::move(*value));
  }
  return options;
}

}  // namespace ferry::config::detail
