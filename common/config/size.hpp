// Byte sizes as written in the configuration file: "512KiB", "8MiB", "1GiB", or a plain number
// of bytes. KiB/MiB/GiB/TiB are powers of 1024; KB/MB/GB/TB are powers of 1000 (as printed on
// disks); B is bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::config {

// Parses a size. Whole numbers only; one optional space between number and unit ("8 MiB").
// Zero parses; callers that need a positive size check it.
Result<std::uint64_t> parse_size(std::string_view text);

// The shortest exact binary form: 8388608 gives "8MiB", 1000 gives "1000B". For configuration
// values, which must read back exactly.
std::string format_size(std::uint64_t bytes);

// How every message and table shows a size to a person: "512 B", "45.3 KiB", "1.0 GiB" (one
// decimal, binary units). The one way sizes are printed everywhere but in configuration values.
std::string display_size(std::uint64_t bytes);

}  // namespace ferry::config
