// Helpers shared by the ferry-tenant tests: batch headers, zstd payloads and sealed frames.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/frame/frame.hpp"

namespace ferry::tenant::test {

inline constexpr std::string_view kAgent = "school-042";
inline constexpr std::string_view kTenant = "district-7";
inline constexpr std::string_view kSpool = "0b1c2d3e-0000-4000-8000-000000000001";

// A header of kAgent/kTenant/kSpool for `seq`, with batch_id "batch-<seq>".
frame::Header header_for(std::uint64_t seq, std::string_view source = "sis",
                         std::string_view stream = "users");

// A frame of `header` carrying `rows` (JSON Lines), sealed to `tenant_public_key`.
crypto::Bytes sealed_frame(const frame::Header& header, crypto::ByteView tenant_public_key,
                           std::string_view rows);

// One zstd frame of `text` that does not declare its size, as a streaming compressor writes it
// when it is not told the size in advance, with a window of 2^window_log bytes.
crypto::Bytes zstd_without_size(std::string_view text, int window_log);

}  // namespace ferry::tenant::test
