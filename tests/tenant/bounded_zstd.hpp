// Decompressing a batch payload without trusting it (--max-batch-bytes). A zstd frame of a few
// kilobytes can expand to gigabytes, and any token holder can send one; the one-shot
// frame::zstd_decompress (common/frame) allocates whatever size the frame declares, up to its
// limit, before it decompresses a byte. Here nothing grows past `max_bytes`:
//
// - A frame that declares its content size (every Ferry agent's does): a size above max_bytes is
//   refused before anything is decompressed; otherwise exactly that size is allocated and the frame
//   is decompressed into it as a stream (ZSTD_decompressStream), which stops with an error the
//   moment the frame yields more than it declared.
// - A frame that does not declare its size (a streaming compressor's): decompressed as a stream
//   into one buffer of ZSTD_DStreamOutSize() (128 KiB), only counting, stopping the moment the
//   count passes max_bytes; then, its size known, once more into a buffer of exactly that size.
//   Such a frame costs two passes; the bound is worth it.
// - The decoder's window (the history a frame may refer back to, which a streaming decoder keeps
//   in a buffer of its own) is limited to max_bytes rounded down to a power of two (at least
//   1 KiB): a frame asking for a larger window is refused, so that buffer never exceeds max_bytes
//   either.
//
// The payload must be exactly one zstd frame (SPEC section 5): bytes after it are refused.
//
// Pure function: no I/O, no state, safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::tenant {

// The plaintext of `compressed`. kInvalidArgument when it holds more than `max_bytes` (or needs a
// window larger than that), kCorrupt when it is not exactly one valid zstd frame. The message is
// written as a nack reason: it names the limit (and the option that sets it) or the problem, never
// the content.
Result<std::string> bounded_zstd_decompress(crypto::ByteView compressed, std::uint64_t max_bytes);

}  // namespace ferry::tenant
