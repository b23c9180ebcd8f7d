// The field policy of one stream, compiled against the stream's columns. Compiling resolves every
// column to one step (which input, which transform, which keyed token object, the JSON key already
// escaped), so applying it to a row does no string-keyed lookup and no key setup.
//
// Applying writes the row as one JSON object, the line format of the batch plaintext (SPEC section
// 5): {"_op":"upsert","col":value,...}, columns in source order, dropped columns absent.
//
// Change detection digests what apply() read, not what it wrote: the values before their tokens
// are made (and the policy that made them), keyed with the factory's change-digest key, which
// does not rotate with the token key: a key rotation changes every token and no digest
// (docs/key-rotation.md).
//
// A CompiledPolicy borrows the TokenFactory given to compile(): the factory must outlive it, and
// both belong to one thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agent/policy/suppression.hpp"
#include "agent/policy/token_factory.hpp"
#include "agent/policy/token_maps.hpp"
#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "connectors/api/row.hpp"

namespace ferry::policy {

// One field's values that the policy could not carry as they are (docs/configuration.md, "Bad
// values"). Counts only: never the values.
struct BadValues {
  std::string field;
  std::uint64_t unparsable = 0;    // generalize could not read it: written as null
  std::uint64_t invalid_utf8 = 0;  // text that is not valid UTF-8: its bad bytes became U+FFFD
  std::uint64_t total() const { return unparsable + invalid_utf8; }
};

class CompiledPolicy {
 public:
  using Digest = std::array<std::uint8_t, 16>;

  // `key_columns` names the column (or, for a composite key, the columns) whose output identifies
  // a row for change detection (none: no key); a key column that the policy drops is an error. With
  // `suppression`, which must outlive the policy, rows carrying an erased subject's token are
  // marked (see suppressed()). With `previous` and `maps` (the first run after a key rotation),
  // every token written (but a pseudonym key's, mapped with the stored keys) is also made under the
  // previous version and the map between the two recorded in `maps`.
  static Result<CompiledPolicy> compile(const config::StreamSettings& stream,
                                        std::span<const std::string> columns, TokenFactory& tokens,
                                        std::span<const std::string> key_columns = {},
                                        const Suppression* suppression = nullptr,
                                        TokenFactory* previous = nullptr,
                                        TokenMaps* maps = nullptr);

  // Appends the JSON object for `row` (no newline). `row` has one value per column.
  Result<void> apply(connectors::RowView row, connectors::RowOp op, std::string& out);
  // The change digest of the last apply(): the first 16 bytes of HMAC-SHA256 under the factory's
  // change-digest key of the row as read (docs/key-rotation.md, "Change detection").
  Result<Digest> digest();
  // The last apply() wrote a token on the suppression list: the row must not be sent.
  bool suppressed() const { return suppressed_; }

  // The key of the last apply(), as the change-detection state stores it
  // (common/frame/row_key.hpp): a single key column's output (its JSON value, e.g. "\"p1.Aa..\""),
  // a view into that call's `out`; a composite key's members ("\"a\":\"p1.Aa..\",\"b\":\"x\""), a
  // view into the policy. Empty when there is no key column.
  std::string_view last_key(const std::string& out) const {
    if (key_steps_.size() > 1) return composite_key_;
    return key_steps_.empty()
               ? std::string_view()
               : std::string_view(out).substr(key_spans_[0].first, key_spans_[0].second);
  }
  // The key column's name (a composite key's first); "" when there is no key column.
  const std::string& key_name() const { return key_name_; }
  bool composite_key() const { return key_steps_.size() > 1; }

  // Source columns the policy drops (explicitly, by default, or as a password or secret: common/config/secret_columns.hpp), in order.
  const std::vector<std::string>& dropped_columns() const { return dropped_; }
  // Fields the policy lists that the source does not have (a typo, or an optional column).
  const std::vector<std::string>& missing_fields() const { return missing_; }
  // Output column names, in output order.
  std::vector<std::string> output_columns() const;

  // Values that `generalize` could not parse and wrote as null, and kept text whose invalid
  // UTF-8 was replaced, since compile(): both are bad values.
  std::uint64_t unparsable_values() const { return unparsable_; }
  std::uint64_t invalid_utf8_values() const { return invalid_utf8_; }
  std::uint64_t bad_value_count() const { return unparsable_ + invalid_utf8_; }
  // The same per field, for the fields that had any, in output order.
  std::vector<BadValues> bad_values() const;

 private:
  struct Step;

  Result<void> write_value(Step& step, std::string_view value, std::string& out);
  Result<void> write_token(const Step& step, std::string_view value, std::string& out);
  // Appends to digest_input_ what a token step read: its transform, domain, flags and value.
  void add_token_input(const Step& step, std::string_view value);

  std::vector<Step> steps_;
  std::vector<std::string> dropped_;
  std::vector<std::string> missing_;
  std::string scratch_;
  std::string old_token_;     // a token under the previous version (maps_ only)
  std::string digest_input_;  // what the last apply() read, as digest() hashes it
  crypto::HmacSha256* digest_ = nullptr;
  TokenMaps* maps_ = nullptr;
  std::string key_name_;
  std::vector<std::size_t> key_steps_;  // indices into steps_, in key order
  // Where each key step's value is in the last apply()'s `out` (offset, length), in key order.
  std::vector<std::pair<std::size_t, std::size_t>> key_spans_;
  std::string composite_key_;  // the last apply()'s key, for a composite key
  std::uint64_t unparsable_ = 0;
  std::uint64_t invalid_utf8_ = 0;
  const Suppression* suppression_ = nullptr;
  bool suppressed_ = false;

 public:
  CompiledPolicy();
  ~CompiledPolicy();
  CompiledPolicy(CompiledPolicy&&) noexcept;
  CompiledPolicy& operator=(CompiledPolicy&&) noexcept;
};

}  // namespace ferry::policy
