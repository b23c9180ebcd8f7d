// A batch's payload at ferry-tenant: opened within a size limit, and checked line by line before
// anything of it is stored (docs/protocol.md, "What a tenant must do with a batch").
//
// Every error message is written as a nack reason (the agent shows it to the school's
// administrator): it names the batch's seq or the line number and the problem, never a byte of the
// content, which may hold a row value.
//
// Pure functions over memory: no I/O, no state, safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"
#include "common/frame/frame.hpp"

namespace ferry::tenant {

// Decrypts the batch of `frame` (HPKE to the tenant's key, the header as associated data, SPEC
// section 5) and decompresses it within `max_bytes` of plaintext (bounded_zstd.hpp). The frame's
// header must already be parsed; `seq` is its seq, for the message. kCorrupt when it does not
// decrypt or is not one zstd frame, kInvalidArgument when it holds more than `max_bytes`.
Result<std::string> open_payload(const frame::FrameView& frame, std::uint64_t seq,
                                 crypto::ByteView tenant_private_key, std::uint64_t max_bytes);
// The same with the first of `tenant_private_keys` that decrypts it (a frame whose header names
// no key, tried with each key the tenant holds); kCorrupt when none does.
Result<std::string> open_payload(const frame::FrameView& frame, std::uint64_t seq,
                                 std::span<const crypto::ByteView> tenant_private_keys,
                                 std::uint64_t max_bytes);

// kInvalidArgument unless `plaintext` is exactly `rows` lines, each one JSON object (UTF-8, at most
// 32 levels deep). A line ends at a newline; the last one may lack it; an empty payload has no
// lines. Lines are checked without building them in memory (a line of a large payload could
// otherwise cost many times its size).
Result<void> check_json_lines(std::string_view plaintext, std::uint64_t rows);

}  // namespace ferry::tenant
