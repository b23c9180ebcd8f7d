#include "agent/policy/compiled_policy.hpp"

#include <algorithm>
#include <map>

#include "agent/policy/generalize.hpp"
#include "agent/policy/json_escape.hpp"
#include "agent/policy/normalize.hpp"
#include "common/config/secret_columns.hpp"
#include "common/config/text.hpp"

namespace ferry::policy {

using config::Transform;
using connectors::ValueType;

struct CompiledPolicy::Step {
  std::size_t input = 0;
  std::string name;
  std::string json_key;  // ,"name":  (escaped once here, appended per row)
  Transform transform = Transform::kKeep;
  bool lower = false;
  bool list = false;
  config::Generalize generalize;
  crypto::Pseudonymizer* pseudonymizer = nullptr;
  crypto::Hasher* hasher = nullptr;
  // After a rotation: what makes the map's old token.
  crypto::Hasher* previous_hasher = nullptr;
  crypto::Pseudonymizer* previous_pseudonymizer = nullptr;
  std::string domain;
  int key_part = -1;          // its place in the row's key; -1: not a key column
  bool suppressible = false;  // its domain has erased subjects: check each token written
  BadValues bad;              // of this field, since compile()
};

CompiledPolicy::CompiledPolicy() = default;
CompiledPolicy::~CompiledPolicy() = default;
CompiledPolicy::CompiledPolicy(CompiledPolicy&&) noexcept = default;
CompiledPolicy& CompiledPolicy::operator=(CompiledPolicy&&) noexcept = default;

Result<CompiledPolicy> CompiledPolicy::compile(const config::StreamSettings& stream,
                                               std::span<const std::string> columns,
                                               TokenFactory& tokens,
                                               std::span<const std::string> key_columns,
                                               const Suppression* suppression,
                                               TokenFactory* previous, TokenMaps* maps) {
  std::map<std::string_view, const config::FieldPolicy*> by_name;
  for (const auto& field : stream.fields) by_name.emplace(field.name, &field);

  // Names are matched without the white space around them ("Password " is password).
  std::vector<std::string_view> names;
  names.reserve(columns.size());
  for (const auto& column : columns) names.push_back(config::trim(column));
  const auto has_column = [&](std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };

  CompiledPolicy policy;
  auto digest = tokens.change_digest();
  if (!digest) return tl::unexpected(digest.error());
  policy.digest_ = *digest;
  if (previous != nullptr && maps != nullptr) policy.maps_ = maps;
  if (suppression != nullptr && !suppression->empty()) policy.suppression_ = suppression;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::string_view column = names[i];
    const auto found = by_name.find(column);
    const config::FieldPolicy* field = found == by_name.end() ? nullptr : found->second;
    Transform transform = field != nullptr ? field->transform : stream.default_transform;
    if (config::is_secret_column(column)) transform = Transform::kDrop;
    if (transform == Transform::kDrop) {
      policy.dropped_.emplace_back(column);
      continue;
    }
    Step step;
    step.input = i;
    step.name = std::string(column);
    step.json_key.push_back(',');
    append_json_string(step.json_key, column);
    step.json_key.push_back(':');
    step.transform = transform;
    step.bad.field = step.name;
    if (field != nullptr) {
      step.lower = field->normalize == config::Normalize::kLower;
      step.list = field->list;
      step.generalize = field->generalize;
      if (transform == Transform::kPseudonymize) {
        auto made = tokens.pseudonymizer(field->domain);
        if (!made) return tl::unexpected(made.error());
        step.pseudonymizer = *made;
      } else if (transform == Transform::kHash) {
        auto made = tokens.hasher(field->domain);
        if (!made) return tl::unexpected(made.error());
        step.hasher = *made;
      }
      step.domain = field->domain;
      step.suppressible = policy.suppression_ != nullptr &&
                          (step.pseudonymizer != nullptr || step.hasher != nullptr) &&
                          policy.suppression_->covers(field->domain);
    }
    policy.steps_.push_back(std::move(step));
  }
  for (const std::string& key_column : key_columns) {
    const auto step = std::find_if(policy.steps_.begin(), policy.steps_.end(),
                                   [&](const Step& s) { return s.name == key_column; });
    if (step == policy.steps_.end()) {
      if (!has_column(key_column)) {
        return make_error(ErrorCode::kConfig,
                          "stream '{}': the key column '{}' is not among the columns", stream.name,
                          key_column);
      }
      return make_error(ErrorCode::kConfig,
                        "stream '{}': the key column '{}' is dropped by the policy; keep, "
                        "pseudonymize or hash it so rows can be told apart",
                        stream.name, key_column);
    }
    step->key_part = static_cast<int>(policy.key_steps_.size());
    policy.key_steps_.push_back(static_cast<std::size_t>(step - policy.steps_.begin()));
  }
  policy.key_spans_.resize(policy.key_steps_.size());
  if (!key_columns.empty()) policy.key_name_ = key_columns.front();
  // After a rotation, every token written is mapped from its previous version, but a pseudonym
  // key's: the stored keys were mapped when the rotation was caught up with.
  for (std::size_t i = 0; i < policy.steps_.size() && policy.maps_ != nullptr; ++i) {
    Step& step = policy.steps_[i];
    if (step.hasher != nullptr) {
      auto old = previous->hasher(step.domain);
      if (!old) return tl::unexpected(old.error());
      step.previous_hasher = *old;
    } else if (step.pseudonymizer != nullptr &&
               std::find(policy.key_steps_.begin(), policy.key_steps_.end(), i) ==
                   policy.key_steps_.end()) {
      auto old = previous->pseudonymizer(step.domain);
      if (!old) return tl::unexpected(old.error());
      step.previous_pseudonymizer = *old;
    }
  }
  for (const auto& field : stream.fields) {
    if (!has_column(field.name)) {
      policy.missing_.push_back(field.name);
    }
  }
  return policy;
}

std::vector<BadValues> CompiledPolicy::bad_values() const {
  std::vector<BadValues> bad;
  for (const auto& step : steps_) {
    if (step.bad.total() > 0) bad.push_back(step.bad);
  }
  return bad;
}

std::vector<std::string> CompiledPolicy::output_columns() const {
  std::vector<std::string> names;
  names.reserve(steps_.size());
  for (const auto& step : steps_) names.push_back(step.name);
  return names;
}

Result<void> CompiledPolicy::write_token(const Step& step, std::string_view value,
                                         std::string& out) {
  if (step.lower) value = lower_ascii(value, scratch_);
  const std::size_t start = out.size();
  auto written = step.pseudonymizer != nullptr ? step.pseudonymizer->pseudonymize(value, out)
                                               : step.hasher->hash(value, out);
  if (!written) return written;
  const std::string_view token = std::string_view(out).substr(start);
  if (step.suppressible && suppression_->contains(token)) suppressed_ = true;
  if (step.previous_hasher != nullptr || step.previous_pseudonymizer != nullptr) {
    old_token_.clear();
    auto old = step.previous_hasher != nullptr
                   ? step.previous_hasher->hash(value, old_token_)
                   : step.previous_pseudonymizer->pseudonymize(value, old_token_);
    if (!old) return old;
    maps_->add(step.domain, old_token_, token);
  }
  return {};
}

namespace {

void append_length(std::string& out, std::size_t length) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(length >> shift));
}

}  // namespace

void CompiledPolicy::add_token_input(const Step& step, std::string_view value) {
  // Everything the token depends on but the key: the same row gives the same input under every
  // key version, and a change of transform, domain or normalisation changes it.
  digest_input_.push_back(step.transform == Transform::kPseudonymize ? 'P' : 'H');
  digest_input_.push_back(step.lower ? 'l' : '-');
  digest_input_.push_back(step.list ? 'L' : '-');
  append_length(digest_input_, step.domain.size());
  digest_input_.append(step.domain);
  append_length(digest_input_, value.size());
  digest_input_.append(value);
}

Result<CompiledPolicy::Digest> CompiledPolicy::digest() {
  auto mac = digest_->mac(crypto::as_bytes(digest_input_));
  if (!mac) return tl::unexpected(mac.error());
  Digest digest{};
  std::copy_n(mac->begin(), digest.size(), digest.begin());
  return digest;
}

Result<void> CompiledPolicy::write_value(Step& step, std::string_view value, std::string& out) {
  // Text written as it is, its invalid UTF-8 (if any) replaced and counted.
  const auto write_text = [&](std::string_view text) {
    if (append_json_string(out, text) > 0) {
      ++invalid_utf8_;
      ++step.bad.invalid_utf8;
    }
  };
  switch (step.transform) {
    case Transform::kKeep:
      write_text(value);
      return {};
    case Transform::kPseudonymize:
    case Transform::kHash: {
      out.push_back('"');
      if (!step.list) {
        if (!value.empty()) {
          if (auto written = write_token(step, value, out); !written) return written;
        }
      } else {
        std::size_t start = 0;
        for (;;) {
          const std::size_t comma = value.find(',', start);
          const std::string_view element = trim(
              value.substr(start, comma == std::string_view::npos ? value.npos : comma - start));
          if (!element.empty()) {
            if (auto written = write_token(step, element, out); !written) return written;
          }
          if (comma == std::string_view::npos) break;
          out.push_back(',');
          start = comma + 1;
        }
      }
      out.push_back('"');
      return {};
    }
    case Transform::kGeneralize: {
      if (value.empty()) {
        out.append("\"\"");
        return {};
      }
      using Kind = config::Generalize::Kind;
      switch (step.generalize.kind) {
        case Kind::kYear:
        case Kind::kYearMonth:
          if (generalize_date(value, step.generalize, out)) return {};
          break;
        case Kind::kPrefix:
          write_text(generalize_prefix(value, step.generalize.n));
          return {};
        case Kind::kBucket:
          if (generalize_bucket(value, step.generalize.n, out)) return {};
          break;
      }
      ++unparsable_;
      ++step.bad.unparsable;
      out.append("null");
      return {};
    }
    case Transform::kDrop:
      break;
  }
  return make_error(ErrorCode::kInternal, "a dropped column reached the policy output");
}

Result<void> CompiledPolicy::apply(connectors::RowView row, connectors::RowOp op,
                                   std::string& out) {
  suppressed_ = false;
  digest_input_.clear();
  digest_input_.push_back(op == connectors::RowOp::kUpsert ? 'U' : 'D');
  out.append(op == connectors::RowOp::kUpsert ? R"({"_op":"upsert")" : R"({"_op":"delete")");
  for (std::size_t index = 0; index < steps_.size(); ++index) {
    Step& step = steps_[index];
    out.append(step.json_key);
    digest_input_.append(step.json_key);
    const std::size_t written_from = out.size();
    const connectors::Value& value =
        step.input < row.size() ? row[step.input] : connectors::Value{};
    const bool token = step.pseudonymizer != nullptr || step.hasher != nullptr;
    if (value.is_null()) {
      out.append("null");
    } else if (step.transform == Transform::kKeep && value.type != ValueType::kString) {
      out.append(value.text);  // numbers and booleans are already JSON
    } else if (auto written = write_value(step, trim(value.text), out); !written) {
      return written;
    }
    if (step.key_part >= 0) {
      key_spans_[static_cast<std::size_t>(step.key_part)] = {written_from,
                                                             out.size() - written_from};
    }
    if (token && !value.is_null()) {
      add_token_input(step, trim(value.text));
    } else {
      digest_input_.append(out, written_from, out.npos);
    }
  }
  out.push_back('}');
  if (key_steps_.size() > 1) {
    composite_key_.clear();
    for (std::size_t part = 0; part < key_steps_.size(); ++part) {
      if (part > 0) composite_key_.push_back(',');
      const std::string& json_key = steps_[key_steps_[part]].json_key;  // ,"name":
      composite_key_.append(json_key, 1, json_key.npos);
      composite_key_.append(out, key_spans_[part].first, key_spans_[part].second);
    }
  }
  return {};
}

}  // namespace ferry::policy
