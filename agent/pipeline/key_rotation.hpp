// Catching the spool up with a key rotation (docs/key-rotation.md): run before any source is read
// under a new active key version, so that the tenant gets the maps from old tokens to new ones
// before any row carrying a new token.
//
// What it does, when the keyring's active version is above the spool's keys_version:
//   1. The suppression list of `ferry erase` gains the new version's tokens of each erased
//      subject (its pseudonym tokens are revealed on site and made again; the hash tokens from
//      the same values), so an erased subject stays suppressed under the new key.
//   2. In one spool transaction (Spool::rotate_keys): every stored key that is a pseudonym token
//      is revealed and made again under the new version, each map old -> new spooled as a line of
//      a `rekey` batch; sources with a stream keyed by a hash token are reset (read again, their
//      rows sent again once); every configured source is marked so that its next complete run
//      maps the hash tokens it writes (CompiledPolicy, TokenMaps); keys_version is set.
// A spool that never had a keys_version (new, or made before rotations were followed) adopts the
// active version and maps nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/spool/spool.hpp"
#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::pipeline {

struct KeyCatchUp {
  bool rotated = false;            // false: the spool was already at the active version
  std::uint32_t from_version = 0;  // the spool's keys_version before (0: none adopted yet)
  std::uint32_t to_version = 0;
  std::uint64_t maps = 0;           // old -> new maps spooled
  std::uint64_t batches = 0;        // rekey batches spooled
  std::uint64_t keys_dropped = 0;   // stored keys no key version could reveal: rows sent again
  std::uint64_t suppressed_added = 0;
  std::vector<std::string> sources_reset;
};

Result<KeyCatchUp> catch_up_key_rotation(spool::Spool& spool, const keys::Keyring& keyring,
                                         const config::Settings& settings,
                                         const std::filesystem::path& data_dir);

}  // namespace ferry::pipeline
