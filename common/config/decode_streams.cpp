#include <algorithm>
#include <iterator>

#include "common/config/decode.hpp"
#include "common/config/text.hpp"

namespace ferry::config::detail {

namespace {

// Stream names become file names on the tenant's side (<source>/<stream>.jsonl).
bool valid_stream_name(std::string_view name) {
  return is_name(name, "._-") && name != "." && name != "..";
}

// `key: sourcedId`, or a composite key `key: [classSourcedId, userSourcedId]`: distinct columns.
void decode_key(Context& ctx, const Entry& entry, StreamSettings& stream) {
  if (!entry.value.IsSequence()) {
    if (auto text = read_nonempty_string(ctx, entry)) stream.key = std::move(*text);
    return;
  }
  auto items = read_string_list(ctx, entry);
  if (!items) return;
  if (items->empty()) {
    ctx.error(entry.value_at(),
              "{} lists no column: name the column (or columns) that identify "
              "a row",
              entry.label);
    return;
  }
  std::vector<std::string> columns;
  for (ListItem& item : *items) {
    if (item.value.empty()) {
      ctx.error(item.at, "{} has an empty column name", entry.label);
      return;
    }
    if (std::find(columns.begin(), columns.end(), item.value) != columns.end()) {
      ctx.error(item.at, "{} names column '{}' twice", entry.label, item.value);
      return;
    }
    columns.push_back(std::move(item.value));
  }
  stream.key = std::move(columns.front());
  stream.more_keys.assign(std::make_move_iterator(columns.begin() + 1),
                          std::make_move_iterator(columns.end()));
}

StreamSettings decode_stream(Context& ctx, const Entry& entry, const SourceTypeSpec* type,
                             const std::string& source_where) {
  StreamSettings stream;
  stream.name = entry.key;
  stream.at = entry.key_at();
  if (!valid_stream_name(entry.key)) {
    ctx.error(entry.key_at(),
              "stream name '{}' in {} may only use letters, digits, '.', '_' and '-' (it names "
              "files on the tenant's side)",
              entry.key, source_where);
  }
  auto map = open_map(ctx, entry, fmt::format("stream '{}' of {}", entry.key, source_where),
                      Naming::kItem);
  if (!map) return stream;

  if (type != nullptr) {
    std::vector<std::string> known = {"key", "default", "extends", "fields"};
    for (const OptionSpec& option : type->stream_options) known.push_back(option.name);
    map->check_keys(known);
    stream.options = decode_options(ctx, *map, type->stream_options, type->type);
  }
  if (const Entry* key = map->find("key")) decode_key(ctx, *key, stream);
  if (const Entry* default_entry = map->find("default")) {
    if (auto choice = read_choice(ctx, *default_entry, {"drop", "keep"})) {
      stream.default_transform = *choice == "keep" ? Transform::kKeep : Transform::kDrop;
      stream.default_given = true;
    }
  }
  if (const Entry* extends = map->find("extends")) {
    if (auto choice = read_choice(ctx, *extends, {"preset"})) stream.extends_preset = true;
  }
  if (const Entry* fields = map->find("fields")) {
    auto fields_map =
        open_map(ctx, *fields, fmt::format("the fields of stream '{}'", entry.key), Naming::kItem);
    if (fields_map) {
      for (const Entry& field : fields_map->entries()) {
        stream.fields.push_back(decode_field(ctx, field, entry.key));
      }
    }
  }
  return stream;
}

}  // namespace

std::vector<StreamSettings> decode_streams(Context& ctx, const Entry& entry,
                                           const SourceTypeSpec* type,
                                           const std::string& source_where) {
  std::vector<StreamSettings> streams;
  auto map = open_map(ctx, entry, fmt::format("the streams of {}", source_where), Naming::kItem);
  if (!map) return streams;
  for (const Entry& stream : map->entries()) {
    streams.push_back(decode_stream(ctx, stream, type, source_where));
  }
  return streams;
}

}  // namespace ferry::config::detail
