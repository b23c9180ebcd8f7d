#include "agent/pipeline/key_rotation.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "agent/policy/json_escape.hpp"
#include "agent/policy/suppression.hpp"
#include "agent/policy/token_maps.hpp"
#include "common/crypto/tokens.hpp"
#include "common/frame/frame.hpp"
#include "common/log/log.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::pipeline {
namespace {

// Map lines per rekey batch, and their plaintext size: a map line is about 150 bytes.
constexpr std::size_t kMapsPerBatch = 10000;
constexpr std::size_t kMapBytesPerBatch = 4 * 1024 * 1024;

// Pseudonymizers per (version, domain), made on first use.
class Pseudonymizers {
 public:
  explicit Pseudonymizers(const keys::Keyring& keyring) : keyring_(keyring) {}

  // nullptr when the keyring has no such version.
  Result<crypto::Pseudonymizer*> get(std::uint32_t version, std::string_view domain) {
    const auto key = std::make_pair(version, std::string(domain));
    if (auto it = made_.find(key); it != made_.end()) return it->second.get();
    const keys::KeyVersion* secret = keyring_.find(version);
    if (secret == nullptr) return nullptr;
    auto made = crypto::Pseudonymizer::create(secret->secret, version, domain);
    if (!made) return tl::unexpected(made.error());
    auto owned = std::make_unique<crypto::Pseudonymizer>(std::move(*made));
    crypto::Pseudonymizer* pointer = owned.get();
    made_.emplace(key, std::move(owned));
    return pointer;
  }

  // The value behind a pseudonym token, trying each domain (AES-SIV authenticates: a wrong
  // domain fails, it never gives a wrong value); nullopt when none opens it.
  Result<std::optional<std::pair<std::string, std::string>>> reveal(
      std::string_view token, const std::vector<std::string>& domains) {
    auto version = crypto::token_version(token);
    if (!version) return std::nullopt;
    for (const std::string& domain : domains) {
      auto pseudonymizer = get(*version, domain);
      if (!pseudonymizer) return tl::unexpected(pseudonymizer.error());
      if (*pseudonymizer == nullptr) return std::nullopt;
      auto value = (*pseudonymizer)->reveal(token);
      if (value) return std::make_pair(domain, std::move(*value));
    }
    return std::nullopt;
  }

 private:
  const keys::Keyring& keyring_;
  std::map<std::pair<std::uint32_t, std::string>, std::unique_ptr<crypto::Pseudonymizer>> made_;
};

// The domains a pseudonym key of `source`/`stream` may be in: the stream's pseudonymize fields
// (its key field first), then every other pseudonymize domain of the configuration.
std::vector<std::string> candidate_domains(const config::Settings& settings,
                                           std::string_view source, std::string_view stream) {
  std::vector<std::string> domains;
  const auto add = [&](const std::string& domain) {
    if (std::find(domains.begin(), domains.end(), domain) == domains.end()) {
      domains.push_back(domain);
    }
  };
  std::vector<std::string> others;
  for (const config::SourceSettings& configured : settings.sources) {
    for (const config::StreamSettings& streams : connectors::effective_streams(configured)) {
      const bool this_stream = configured.name == source && streams.name == stream;
      for (const config::FieldPolicy& field : streams.fields) {
        if (field.transform != config::Transform::kPseudonymize) continue;
        if (this_stream && field.name == streams.key) {
          domains.insert(domains.begin(), field.domain);
        } else if (this_stream) {
          add(field.domain);
        } else {
          others.push_back(field.domain);
        }
      }
    }
  }
  for (const std::string& domain : others) add(domain);
  return domains;
}

// A stored key is a JSON value; a token key is a JSON string of tokens, comma-separated for a
// list. Tokens hold no character JSON escapes, so the string's bytes are the tokens'.
std::optional<std::string_view> string_body(std::string_view key) {
  if (key.size() < 2 || key.front() != '"' || key.back() != '"') return std::nullopt;
  return key.substr(1, key.size() - 2);
}

// Builds the rekey batches, map after map.
class MapBatches {
 public:
  explicit MapBatches(std::uint32_t version) : version_(version) {}

  void add(const policy::TokenMap& map) {
    policy::append_map_line(text_, map);
    text_.push_back('\n');
    ++rows_;
    ++maps_;
  }

  Result<std::vector<spool::NewBatch>> take(bool last) {
    std::vector<spool::NewBatch> batches;
    if (rows_ == 0 || (!last && rows_ < kMapsPerBatch && text_.size() < kMapBytesPerBatch)) {
      return batches;
    }
    auto compressed = frame::zstd_compress(text_, 1);
    if (!compressed) return tl::unexpected(compressed.error());
    spool::NewBatch& batch = batches.emplace_back();
    batch.kind = "rekey";
    batch.rows = rows_;
    batch.key_version = version_;
    batch.compressed = std::move(*compressed);
    text_.clear();
    rows_ = 0;
    return batches;
  }

  std::uint64_t maps() const { return maps_; }

 private:
  std::uint32_t version_;
  std::string text_;
  std::uint64_t rows_ = 0;
  std::uint64_t maps_ = 0;
};

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
    auto pseudonymizer = pseudonymizers.get(active.version, entry.domain);
    if (!pseudonymizer) return tl::unexpected(pseudonymizer.error());
    auto hasher = crypto::Hasher::create(active.secret, active.version, entry.domain);
    if (!hasher) return tl::unexpected(hasher.error());
    std::string token;
    if (auto made = (*pseudonymizer)->pseudonymize(value, token); !made) {
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
    const auto body = string_body(stream.first_key);
    if (!body || body->empty()) continue;  // a kept key: the same under every version
    if (body->front() == 'p') {
      rotation.mapped.push_back({stream.source, stream.stream});
      domains[{stream.source, stream.stream}] =
          candidate_domains(settings, stream.source, stream.stream);
    } else if (body->front() == 'h') {
      reset.insert(stream.source);  // a hash cannot be reversed: read again, sent again
    }
  }
  rotation.reset.assign(reset.begin(), reset.end());
  outcome.sources_reset = rotation.reset;
  for (const auto& source : settings.sources) rotation.map_hashes.push_back(source.name);

  MapBatches batches(active);
  std::string token;
  rotation.map_key = [&](const spool::KeyRotation::Stream& stream,
                         std::string_view key) -> Result<std::optional<std::string>> {
    const auto body = string_body(key);
    if (!body) return std::optional<std::string>(std::string(key));
    const std::vector<std::string>& candidates = domains[{stream.source, stream.stream}];
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
        if (!*revealed) {
          ++outcome.keys_dropped;
          return std::optional<std::string>();
        }
        const auto& [domain, value] = **revealed;
        auto pseudonymizer = pseudonymizers.get(active, domain);
        if (!pseudonymizer) return tl::unexpected(pseudonymizer.error());
        token.clear();
        if (auto made = (*pseudonymizer)->pseudonymize(value, token); !made) {
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
