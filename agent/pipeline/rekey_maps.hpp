// What making re-key maps takes (docs/key-rotation.md), shared by the catch-up after a rotation
// (key_rotation.hpp) and the answer to a tenant's rekey_request (rekey_request.hpp): revealing a
// pseudonym token whose domain is not written in it, making it again under another version, and
// cutting the maps into rekey batches.
//
// Not thread-safe: one object per thread (a Pseudonymizer keeps cipher state). The Keyring must
// outlive the Pseudonymizers made from it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/policy/token_maps.hpp"
#include "agent/spool/spool_types.hpp"
#include "common/config/settings.hpp"
#include "common/crypto/tokens.hpp"
#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::pipeline {

// Pseudonymizers per (version, domain), made on first use.
class Pseudonymizers {
 public:
  explicit Pseudonymizers(const keys::Keyring& keyring) : keyring_(keyring) {}

  // nullptr when the keyring has no such version.
  Result<crypto::Pseudonymizer*> get(std::uint32_t version, std::string_view domain);

  // Appends the token of `value` made under `version` in `domain` to `out` (kNotFound when the
  // keyring lacks the version).
  Result<void> pseudonymize(std::uint32_t version, std::string_view domain, std::string_view value,
                            std::string& out);

  // The domain and value behind a pseudonym token, trying each domain (AES-SIV authenticates: a
  // wrong domain fails, it never gives a wrong value); nullopt when none opens it, or the keyring
  // lacks the token's version.
  Result<std::optional<std::pair<std::string, std::string>>> reveal(
      std::string_view token, const std::vector<std::string>& domains);

 private:
  const keys::Keyring& keyring_;
  std::map<std::pair<std::uint32_t, std::string>, std::unique_ptr<crypto::Pseudonymizer>> made_;
};

// The domains a pseudonym of `source`/`stream` may be in: the stream's pseudonymize fields (its
// key field first), then every other pseudonymize domain of the configuration, each once. With
// a source and stream the configuration does not have (""), every pseudonymize domain.
std::vector<std::string> candidate_domains(const config::Settings& settings,
                                           std::string_view source, std::string_view stream);

// Builds the rekey batches of `version`, map after map.
class MapBatches {
 public:
  explicit MapBatches(std::uint32_t version) : version_(version) {}

  void add(const policy::TokenMap& map);
  // The batch of the maps added since the last take, once they fill one (10,000 maps or 4 MiB)
  // or when `last`; nothing otherwise.
  Result<std::vector<spool::NewBatch>> take(bool last);
  std::uint64_t maps() const { return maps_; }

 private:
  std::uint32_t version_;
  std::string text_;
  std::uint64_t rows_ = 0;
  std::uint64_t maps_ = 0;
};

}  // namespace ferry::pipeline
