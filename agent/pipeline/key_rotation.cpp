#include "agent/pipeline/key_rotation.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "agent/pipeline/rekey_maps.hpp"
#include "agent/policy/json_escape.hpp"
#include "agent/policy/suppression.hpp"
#include "agent/policy/token_maps.hpp"
#include "common/crypto/tokens.hpp"
#include "common/frame/row_key.hpp"
#include "common/log/log.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::pipeline {
namespace {

// A stored key's value is a JSON value; a token key is a JSON string of tokens, comma-separated for
// a list. Tokens hold no character JSON escapes, so the string's bytes are the tokens'.
std::optional<std::string_view> string_body(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
  return value.substr(1, value.size() - 2);
}

// A key value that is a JSON string of pseudonyms (a kept value of a composite key is not).
bool is_pseudonym_value(std::string_view value) {
  const auto body = string_body(value);
  return body && body->starts_with('p') &&
         crypto::token_version(body->substr(0, body->find(','))).has_value();
}

// The values of a stored key (common/frame/row_key.hpp): its parts' for a composite key.
std::vector<std::string_view> key_values(std::string_view key) {
  std::vector<std::string_view> values;
  if (const auto parts = frame::composite_key_parts(key)) {
    for (const frame::KeyPart& part : *parts) values.push_back(part.value);
  } else {
    values.push_back(key);
  }
  return values;
}

// How the configured policy sends the key columns of `stream` of `source`; none when the
// configuration does not name them (no such stream any more, or the connector's own key).
std::vector<config::Transform> key_transforms(const config::Settings& settings,
                                              std::string_view source, std::string_view stream) {
  std::vector<config::Transform> transforms;
  for (const config::SourceSettings& configured : settings.sources) {
    if (configured.name != source) continue;
    for (const config::StreamSettings& streams : connectors::effective_streams(configured)) {
      if (streams.name != stream) continue;
      for (const std::string& column : config::key_columns(streams)) {
        const auto field =
            std::find_if(streams.fields.begin(), streams.fields.end(),
                         [&](const config::FieldPolicy& f) { return f.name == column; });
        transforms.push_back(field != streams.fields.end() ? field->transform
                                                           : streams.default_transform);
      }
    }
  }
  return transforms;
}

// Step 1: the new version's tokens of every erased subject join the suppression list.
Result<std::uint64_t> rekey_suppression(const std::filesystem::path& data_dir,
                                        const keys::Keyring& keyring,
                                        Pseudonymizers& pseudonymizers) {
  if (data_dir.empty()) return 0;
  auto listed = policy::Suppression::list(data_dir);
  if (!listed) return tl::unexpected(listed.error());
  const keys::KeyVersion& active = keyring.active();
  std::vector<policy::SuppressedToken> added;
  for (const policy::SuppressedToken& entry : *listed) {
    if (!entry.token.starts_with('p')) continue;  // hash tokens: made again from the values
    auto version = crypto::token_version(entry.token);
    if (!version || *version == active.version) continue;
    auto revealed = pseudonymizers.reveal(entry.token, {entry.domain});
    if (!revealed) return tl::unexpected(revealed.error());
    if (!*revealed) continue;
    const std::string& value = (*revealed)->second;
    auto hasher = crypto::Hasher::create(active.secret, active.version, entry.domain);
    if (!hasher) return tl::unexpected(hasher.error());
    std::string token;
    if (auto made = pseudonymizers.pseudonymize(active.version, entry.domain, value, token);
        !made) {
      return tl::unexpected(made.error());
    }
    added.push_back({entry.domain, std::move(token)});
    token.clear();
    if (auto made = hasher->hash(value, token); !made) return tl::unexpected(made.error());
    added.push_back({entry.domain, std::move(token)});
  }
  if (added.empty()) return 0;
  auto count = policy::Suppression::add(data_dir, added);
  if (!count) return tl::unexpected(count.error());
  return *count;
}

}  // namespace

Result<KeyCatchUp> catch_up_key_rotation(spool::Spool& spool, const keys::Keyring& keyring,
                                         const config::Settings& settings,
                                         const std::filesystem::path& data_dir) {
  KeyCatchUp outcome;
  auto stored_version = spool.keys_version();
  if (!stored_version) return tl::unexpected(stored_version.error());
  const std::uint32_t active = keyring.active_version();
  outcome.from_version = *stored_version;
  outcome.to_version = active;
  if (*stored_version == 0) {
    // A new spool, or one from before rotations were followed: its keys are the active
    // version's (the only one tokens were made with since).
    if (auto set = spool.set_keys_version(active); !set) return tl::unexpected(set.error());
    return outcome;
  }
  if (*stored_version >= active) return outcome;
  outcome.rotated = true;
  auto log = log::get("keys");
  log->info("key rotation: mapping stored tokens from version {} to version {}", *stored_version,
            active);

  Pseudonymizers pseudonymizers(keyring);
  auto suppressed = rekey_suppression(data_dir, keyring, pseudonymizers);
  if (!suppressed) return tl::unexpected(suppressed.error());
  outcome.suppressed_added = *suppressed;

  auto stored = spool.stored_streams();
  if (!stored) return tl::unexpected(stored.error());
  spool::KeyRotation rotation;
  rotation.to_version = active;
  rotation.hash_maps_from = *stored_version;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> domains;
  std::set<std::string> reset;
  for (const auto& stream : *stored) {
    // What the stream's key holds: by its configured policy, and by its first stored key (the
    // smallest, whose token part may be empty, or a stream no longer configured).
    bool pseudonyms = false;
    for (const config::Transform transform :
         key_transforms(settings, stream.source, stream.stream)) {
      if (transform == config::Transform::kPseudonymize) pseudonyms = true;
      if (transform == config::Transform::kHash) reset.insert(stream.source);
    }
    for (const std::string_view value : key_values(stream.first_key)) {
      const auto body = string_body(value);
      if (!body || !crypto::token_version(body->substr(0, body->find(',')))) {
        continue;  // a kept value: the same under every version
      }
      if (body->front() == 'p') pseudonyms = true;
      if (body->front() == 'h') reset.insert(stream.source);  // read again, sent again
    }
    if (pseudonyms && reset.count(stream.source) == 0) {
      rotation.mapped.push_back({stream.source, stream.stream});
      domains[{stream.source, stream.stream}] =
          candidate_domains(settings, stream.source, stream.stream);
    }
  }
  rotation.reset.assign(reset.begin(), reset.end());
  outcome.sources_reset = rotation.reset;
  for (const auto& source : settings.sources) rotation.map_hashes.push_back(source.name);

  MapBatches batches(active);
  std::string token;
  // The value of a key (a JSON string of tokens) under the active version; nullopt when a token
  // cannot be revealed (the key goes: its row is read again as new).
  const auto map_value = [&](const std::vector<std::string>& candidates,
                             std::string_view value) -> Result<std::optional<std::string>> {
    const auto body = string_body(value);
    if (!body) return std::optional<std::string>(std::string(value));
    std::string mapped;
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = body->find(',', start);
      const std::string_view old = body->substr(start, comma == body->npos ? body->npos
                                                                            : comma - start);
      auto version = crypto::token_version(old);
      if (!old.empty() && (!version || *version != active)) {
        auto revealed = pseudonymizers.reveal(old, candidates);
        if (!revealed) return tl::unexpected(revealed.error());
        if (!*revealed) return std::optional<std::string>();
        const auto& [domain, plain] = **revealed;
        token.clear();
        if (auto made = pseudonymizers.pseudonymize(active, domain, plain, token); !made) {
          return tl::unexpected(made.error());
        }
        batches.add({domain, std::string(old), token});
        mapped.append(token);
      } else {
        mapped.append(old);
      }
      if (comma == body->npos) break;
      mapped.push_back(',');
      start = comma + 1;
    }
    std::string json;
    policy::append_json_string(json, mapped);
    return std::optional<std::string>(std::move(json));
  };
  rotation.map_key = [&](const spool::KeyRotation::Stream& stream,
                         std::string_view key) -> Result<std::optional<std::string>> {
    const std::vector<std::string>& candidates = domains[{stream.source, stream.stream}];
    const auto parts = frame::composite_key_parts(key);
    if (!parts) {
      auto mapped = map_value(candidates, key);
      if (mapped && !*mapped) ++outcome.keys_dropped;
      return mapped;
    }
    std::string composite;
    for (const frame::KeyPart& part : *parts) {
      if (!is_pseudonym_value(part.value)) {  // a kept column of the key
        if (!composite.empty()) composite.push_back(',');
        composite.append(part.name).append(":").append(part.value);
        continue;
      }
      auto mapped = map_value(candidates, part.value);
      if (!mapped) return mapped;
      if (!*mapped) {
        ++outcome.keys_dropped;
        return std::optional<std::string>();
      }
      if (!composite.empty()) composite.push_back(',');
      composite.append(part.name).append(":").append(**mapped);
    }
    return std::optional<std::string>(std::move(composite));
  };
  rotation.take_batches = [&](bool last) { return batches.take(last); };
  auto report = spool.rotate_keys(rotation);
  if (!report) return tl::unexpected(report.error());
  outcome.maps = batches.maps();
  outcome.batches = report->batches;
  log->info(
      "key rotation: version {} to {} spooled maps={} batches={} seqs={}..{} keys_dropped={} "
      "sources_reset={} suppression_added={}",
      *stored_version, active, outcome.maps, outcome.batches, report->first_seq, report->last_seq,
      outcome.keys_dropped, outcome.sources_reset.size(), outcome.suppressed_added);
  return outcome;
}

}  // namespace ferry::pipeline
