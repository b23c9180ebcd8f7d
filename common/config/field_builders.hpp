// Short ways to write a field policy in code, for the built-in presets (connectors/*/preset*.cpp):
// keep("title"), pseudonymize("userSourcedId", "user"), year("Dob", "%m/%d/%Y").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/settings.hpp"

namespace ferry::config::build {

inline FieldPolicy field(std::string_view name, Transform transform, std::string_view domain = {},
                         Normalize normalize = Normalize::kNone) {
  FieldPolicy policy;
  policy.name = std::string(name);
  policy.transform = transform;
  policy.domain = std::string(domain);
  policy.normalize = normalize;
  return policy;
}

inline FieldPolicy keep(std::string_view name) { return field(name, Transform::kKeep); }

inline FieldPolicy drop(std::string_view name) { return field(name, Transform::kDrop); }

inline FieldPolicy pseudonymize(std::string_view name, std::string_view domain,
                                Normalize normalize = Normalize::kNone) {
  return field(name, Transform::kPseudonymize, domain, normalize);
}

inline FieldPolicy pseudonymize_list(std::string_view name, std::string_view domain) {
  FieldPolicy policy = pseudonymize(name, domain);
  policy.list = true;
  return policy;
}

inline FieldPolicy hash(std::string_view name, std::string_view domain, Normalize normalize) {
  return field(name, Transform::kHash, domain, normalize);
}

// generalize to the year; `date_format` for dates that are not ISO 8601 (a valid pattern: the
// presets' tests check it).
inline FieldPolicy year(std::string_view name, std::string_view date_format = {}) {
  FieldPolicy policy = field(name, Transform::kGeneralize);
  policy.generalize.kind = Generalize::Kind::kYear;
  if (!date_format.empty()) {
    if (auto parsed = parse_date_format(date_format)) policy.generalize.date_format = *parsed;
  }
  return policy;
}

// A stream of a preset: its key column (or columns), `default: drop`, and its fields in order.
inline StreamSettings stream(std::string_view name, std::vector<std::string> key,
                             std::vector<FieldPolicy> fields) {
  StreamSettings settings;
  settings.name = std::string(name);
  if (!key.empty()) {
    settings.key = key.front();
    settings.more_keys.assign(key.begin() + 1, key.end());
  }
  settings.default_transform = Transform::kDrop;
  settings.fields = std::move(fields);
  return settings;
}

}  // namespace ferry::config::build
