// <data_dir>/keys-exported.json: when the key file was last exported (`ferry keys export`) and the
// active version it held then, so that `ferry check` can warn while the key file has no backup,
// or none since the last rotation. It holds no secret:
//
//   {"format":"ferry-keys-exported-1","exported":"2026-11-23T10:00:00Z","active":2,
//    "active_created":"2026-11-01T09:00:00Z","versions":2}
//
// `active_created` tells a new key file's version 1 from an older one's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::keys {

struct ExportRecord {
  std::string exported;        // RFC 3339 UTC
  std::uint32_t active = 0;    // the active version the export held
  std::string active_created;  // and its created date
  std::uint32_t versions = 0;  // how many versions it held
};

// <data_dir>/keys-exported.json
std::filesystem::path export_record_path(const std::filesystem::path& data_dir);

// Writes the record, mode 0600, atomically (replacing the last one).
Result<void> write_export_record(const std::filesystem::path& data_dir, const ExportRecord& record);

// The last record; nullopt when no export was ever recorded. kCorrupt for a file that does not
// parse, kIo and kPermission when it cannot be read.
Result<std::optional<ExportRecord>> read_export_record(const std::filesystem::path& data_dir);

// Whether `record` holds the active key of `keyring` (its version and created date).
bool holds_active_key(const ExportRecord& record, const Keyring& keyring);

}  // namespace ferry::keys
