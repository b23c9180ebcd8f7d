#include <limits>

#include "common/config/date_format.hpp"
#include "common/config/decode.hpp"
#include "common/config/did_you_mean.hpp"
#include "common/config/secret_columns.hpp"
#include "common/config/text.hpp"

namespace ferry::config::detail {

namespace {

constexpr std::string_view kFieldForms =
    "keep, drop, or a map such as {transform: hash, domain: email}";

std::optional<Transform> transform_from(std::string_view name) {
  if (name == "drop") return Transform::kDrop;
  if (name == "keep") return Transform::kKeep;
  if (name == "pseudonymize") return Transform::kPseudonymize;
  if (name == "hash") return Transform::kHash;
  if (name == "generalize") return Transform::kGeneralize;
  return std::nullopt;
}

bool needs_domain(Transform transform) {
  return transform == Transform::kPseudonymize || transform == Transform::kHash;
}

// Pseudonym domains go into the key derivation and the token format (SPEC section 4).
bool valid_domain(std::string_view domain) { return is_name(domain, "_.-", false); }

// `transform: keep` written as the scalar shorthand `field: keep`.
void decode_shorthand(Context& ctx, const Entry& entry, const std::string& where,
                      FieldPolicy& field) {
  auto text = read_string(ctx, entry);
  if (!text) return;
  if (*text == "keep" || *text == "drop") {
    field.transform = *transform_from(*text);
    return;
  }
  if (*text == "pseudonymize" || *text == "hash") {
    ctx.error(entry.value_at(),
              "{}: {} needs a domain, so write it as a map: {{transform: {}, domain: {}}}", where,
              *text, *text, *text == "hash" ? "email" : "user");
    return;
  }
  if (*text == "generalize") {
    ctx.error(entry.value_at(),
              "{}: generalize needs to, prefix or bucket, so write it as a map: {{transform: "
              "generalize, to: year}}",
              where);
    return;
  }
  const auto guess = did_you_mean(*text, {"keep", "drop", "pseudonymize", "hash", "generalize"});
  ctx.error(entry.value_at(), "{} must be {}, got '{}'{}", where, kFieldForms, *text,
            guess ? fmt::format(" (did you mean '{}'?)", *guess) : "");
}

// Reports `key` when present in a field whose transform does not use it.
void reject_unused(Context& ctx, const MapReader& map, std::string_view key,
                   std::string_view applies_to, std::string_view why) {
  if (const Entry* entry = map.find(key)) {
    ctx.error(entry->key_at(), "{} only applies to {} ({}): remove it", entry->label, applies_to,
              why);
  }
}

// `date_format:` beside `to:`, for dates that are not ISO 8601.
void decode_date_format(Context& ctx, const MapReader& map, Generalize& generalize) {
  const Entry* entry = map.find("date_format");
  if (entry == nullptr) return;
  auto text = read_nonempty_string(ctx, *entry);
  if (!text) return;
  auto format = parse_date_format(*text);
  if (!format) {
    ctx.error(entry->value_at(), "{}: {}", entry->label, format.error().message);
    return;
  }
  if (generalize.kind == Generalize::Kind::kYearMonth && !format->has_month()) {
    ctx.error(entry->value_at(),
              "{}: date_format '{}' has no month (%m, %b or %B), which to: year_month needs",
              entry->label, *text);
    return;
  }
  generalize.date_format = std::move(*format);
}

void decode_generalize(Context& ctx, MapReader& map, FieldPolicy& field) {
  const Entry* chosen = nullptr;
  for (const char* key : {"to", "prefix", "bucket"}) {
    const Entry* entry = map.find(key);
    if (entry == nullptr) continue;
    if (chosen != nullptr) {
      ctx.error(entry->key_at(), "{}: generalize takes only one of to, prefix and bucket",
                map.where());
      return;
    }
    chosen = entry;
  }
  if (chosen == nullptr) {
    ctx.error(map.at(),
              "{}: generalize needs one of to (year or year_month), prefix: N (keep N "
              "characters) or bucket: N (round numbers down to a multiple of N)",
              map.where());
    return;
  }
  if (chosen->key == "to") {
    if (auto to = read_choice(ctx, *chosen, {"year", "year_month"})) {
      field.generalize.kind =
          *to == "year" ? Generalize::Kind::kYear : Generalize::Kind::kYearMonth;
      decode_date_format(ctx, map, field.generalize);
    }
    return;
  }
  reject_unused(ctx, map, "date_format", "generalize to: year or year_month",
                "it says how to read a date");
  if (auto n = read_int(ctx, *chosen, 1, std::numeric_limits<std::int64_t>::max())) {
    field.generalize.kind =
        chosen->key == "prefix" ? Generalize::Kind::kPrefix : Generalize::Kind::kBucket;
    field.generalize.n = *n;
  }
}

void decode_field_map(Context& ctx, const Entry& entry, const std::string& where,
                      FieldPolicy& field) {
  auto map = open_map(ctx, entry, where, Naming::kItem);
  if (!map) return;
  map->check_keys(
      {"transform", "domain", "normalize", "list", "to", "prefix", "bucket", "date_format"});
  const Entry* transform_entry =
      map->require("transform", " (one of keep, drop, pseudonymize, hash, generalize)");
  if (transform_entry == nullptr) return;
  auto name =
      read_choice(ctx, *transform_entry, {"keep", "drop", "pseudonymize", "hash", "generalize"});
  if (!name) return;
  field.transform = *transform_from(*name);

  if (needs_domain(field.transform)) {
    if (const Entry* domain = map->require(
            "domain", fmt::format(" ({} needs one, such as user or email: the same value in the "
                                  "same domain gives the same token in every stream)",
                                  *name))) {
      if (auto text = read_nonempty_string(ctx, *domain)) {
        if (!valid_domain(*text)) {
          ctx.error(domain->value_at(),
                    "{} '{}' may only use a-z, 0-9, '_', '.' and '-' (it is part of every token)",
                    domain->label, *text);
        } else {
          field.domain = std::move(*text);
        }
      }
    }
    if (const Entry* normalize = map->find("normalize")) {
      if (auto choice = read_choice(ctx, *normalize, {"lower", "none"})) {
        field.normalize = *choice == "lower" ? Normalize::kLower : Normalize::kNone;
      }
    }
    if (const Entry* list = map->find("list")) {
      if (auto flag = read_bool(ctx, *list)) field.list = *flag;
    }
  } else {
    constexpr std::string_view kTokens = "pseudonymize and hash";
    reject_unused(ctx, *map, "domain", kTokens, "it names the token's key");
    reject_unused(ctx, *map, "normalize", kTokens, "it changes the value before a token is made");
    reject_unused(ctx, *map, "list", kTokens, "it makes one token per comma-separated element");
  }

  if (field.transform == Transform::kGeneralize) {
    decode_generalize(ctx, *map, field);
  } else {
    for (const char* key : {"to", "prefix", "bucket"}) {
      reject_unused(ctx, *map, key, "generalize", "it says how to coarsen the value");
    }
    reject_unused(ctx, *map, "date_format", "generalize to: year or year_month",
                  "it says how to read a date");
  }
}

}  // namespace

FieldPolicy decode_field(Context& ctx, const Entry& entry, const std::string& stream_name) {
  FieldPolicy field;
  field.name = entry.key;
  field.at = entry.key_at();
  const std::string where = fmt::format("field '{}' of stream '{}'", entry.key, stream_name);
  if (entry.value.IsMap()) {
    decode_field_map(ctx, entry, where, field);
  } else if (entry.value.IsScalar()) {
    decode_shorthand(ctx, entry, where, field);
  } else {
    ctx.error(entry.value_at(), "{} must be {}, not {}", where, kFieldForms, describe(entry.value));
  }
  if (is_secret_column(field.name) && field.transform != Transform::kDrop) {
    ctx.error(entry.key_at(),
              "{}: a column whose name has the word {} is never sent (passwords and secrets "
              "stay at school): remove it or set it to drop",
              where, secret_word_of(field.name));
    field.transform = Transform::kDrop;
  }
  return field;
}

}  // namespace ferry::config::detail
