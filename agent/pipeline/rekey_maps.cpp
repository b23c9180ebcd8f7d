#include "agent/pipeline/rekey_maps.hpp"

#include <algorithm>

#include "common/frame/frame.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::pipeline {
namespace {

// Map lines per rekey batch, and their plaintext size: a map line is about 150 bytes.
constexpr std::size_t kMapsPerBatch = 10000;
constexpr std::size_t kMapBytesPerBatch = 4 * 1024 * 1024;

bool is_key(const config::StreamSettings& stream, std::string_view column) {
  const std::vector<std::string> keys = config::key_columns(stream);
  return std::find(keys.begin(), keys.end(), column) != keys.end();
}

}  // namespace

Result<crypto::Pseudonymizer*> Pseudonymizers::get(std::uint32_t version, std::string_view domain) {
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

Result<void> Pseudonymizers::pseudonymize(std::uint32_t version, std::string_view domain,
                                          std::string_view value, std::string& out) {
  auto pseudonymizer = get(version, domain);
  if (!pseudonymizer) return tl::unexpected(pseudonymizer.error());
  if (*pseudonymizer == nullptr) {
    return make_error(ErrorCode::kNotFound, "the key file has no version {}", version);
  }
  return (*pseudonymizer)->pseudonymize(value, out);
}

Result<std::optional<std::pair<std::string, std::string>>> Pseudonymizers::reveal(
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
        if (this_stream && is_key(streams, field.name)) {
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

void MapBatches::add(const policy::TokenMap& map) {
  policy::append_map_line(text_, map);
  text_.push_back('\n');
  ++rows_;
  ++maps_;
}

Result<std::vector<spool::NewBatch>> MapBatches::take(bool last) {
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

}  // namespace ferry::pipeline
