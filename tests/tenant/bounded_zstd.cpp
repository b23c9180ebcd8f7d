#include "tests/tenant/bounded_zstd.hpp"

#include <algorithm>
#include <bit>
#include <memory>

#include <zstd.h>
#include <zstd_errors.h>

#include "common/config/size.hpp"

namespace ferry::tenant {
namespace {

struct FreeDctx {
  void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
};
using Dctx = std::unique_ptr<ZSTD_DCtx, FreeDctx>;

auto too_large(std::uint64_t max_bytes) {
  return make_error(ErrorCode::kInvalidArgument,
                    "batch payload decompresses to more than this tenant's --max-batch-bytes ({}): "
                    "lower the agent's uplink.batch.max_bytes",
                    config::format_size(max_bytes));
}

auto zstd_failure(std::size_t code, std::uint64_t max_bytes) {
  if (ZSTD_getErrorCode(code) == ZSTD_error_frameParameter_windowTooLarge) {
    return make_error(ErrorCode::kInvalidArgument,
                      "batch payload's zstd frame needs a window larger than this tenant's "
                      "--max-batch-bytes ({})",
                      config::format_size(max_bytes));
  }
  return make_error(ErrorCode::kCorrupt, "batch payload does not decompress (zstd: {})",
                    ZSTD_getErrorName(code));
}

// A decoder whose window buffer stays within max_bytes: the largest power of two not above it,
// within what this zstd accepts.
Result<Dctx> bounded_decoder(std::uint64_t max_bytes) {
  Dctx context(ZSTD_createDCtx());
  if (!context) return make_error(ErrorCode::kInternal, "cannot create a zstd decoder");
  const ZSTD_bounds bounds = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
  const int floor_log = static_cast<int>(std::bit_width(max_bytes)) - 1;
  const int window_log = std::clamp(floor_log, bounds.lowerBound, bounds.upperBound);
  const std::size_t set = ZSTD_DCtx_setParameter(context.get(), ZSTD_d_windowLogMax, window_log);
  if (ZSTD_isError(set) != 0) {
    return make_error(ErrorCode::kInternal, "cannot limit the zstd window: {}",
                      ZSTD_getErrorName(set));
  }
  return context;
}

// Streams `input` through `context` into `output` until the frame ends. `on_full` is called each
// time the output buffer is full and the frame goes on; it makes room (returning the new buffer)
// or refuses. Checks that nothing follows the frame.
template <class OnFull>
Result<void> stream_frame(ZSTD_DCtx* context, ZSTD_inBuffer& input, ZSTD_outBuffer& output,
                          std::uint64_t max_bytes, OnFull on_full) {
  while (true) {
    const std::size_t consumed = input.pos;
    const std::size_t produced = output.pos;
    const std::size_t left = ZSTD_decompressStream(context, &output, &input);
    if (ZSTD_isError(left) != 0) return zstd_failure(left, max_bytes);
    if (left == 0) break;  // the frame is complete and flushed
    if (output.pos == output.size) {
      if (auto room = on_full(output); !room) return room;
    } else if (input.pos == input.size || (input.pos == consumed && output.pos == produced)) {
      return make_error(ErrorCode::kCorrupt, "batch payload ends inside its zstd frame");
    }
  }
  if (input.pos != input.size) {
    return make_error(ErrorCode::kCorrupt,
                      "batch payload has {} bytes after its zstd frame (it must be exactly one "
                      "frame)",
                      input.size - input.pos);
  }
  return {};
}

// A frame that declared its size, already checked against the limit: decompressed into exactly
// that many bytes. zstd decodes straight into the buffer when the whole frame is at hand, which it
// is, so its own window buffer is not even allocated.
Result<std::string> decompress_declared(ZSTD_DCtx* context, crypto::ByteView compressed,
                                        std::size_t declared, std::uint64_t max_bytes) {
  std::string plaintext(declared, '\0');
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  ZSTD_outBuffer output{plaintext.data(), plaintext.size(), 0};
  auto streamed =
      stream_frame(context, input, output, max_bytes, [](ZSTD_outBuffer&) -> Result<void> {
        return make_error(ErrorCode::kCorrupt,
                          "batch payload holds more than the size its zstd frame declares");
      });
  if (!streamed) return tl::unexpected(streamed.error());
  if (output.pos != declared) {
    return make_error(ErrorCode::kCorrupt,
                      "batch payload holds less than the size its zstd frame declares");
  }
  return plaintext;
}

// A frame without a declared size: counted through one small buffer first, stopping as soon as it
// passes the limit, then decoded in one shot into a buffer of exactly its size. The counting
// decoder (and its window buffer) is gone before that buffer is allocated.
Result<std::string> decompress_undeclared(crypto::ByteView compressed, std::uint64_t max_bytes) {
  std::uint64_t size = 0;
  {
    auto counter = bounded_decoder(max_bytes);
    if (!counter) return tl::unexpected(counter.error());
    const auto scratch = std::make_unique_for_overwrite<char[]>(ZSTD_DStreamOutSize());
    ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
    ZSTD_outBuffer output{scratch.get(), ZSTD_DStreamOutSize(), 0};
    auto counted = stream_frame(counter->get(), input, output, max_bytes,
                                [&](ZSTD_outBuffer& full) -> Result<void> {
                                  size += full.pos;
                                  full.pos = 0;
                                  if (size > max_bytes) return too_large(max_bytes);
                                  return {};
                                });
    if (!counted) return tl::unexpected(counted.error());
    size += output.pos;
    if (size > max_bytes) return too_large(max_bytes);
  }
  std::string plaintext(static_cast<std::size_t>(size), '\0');
  const std::size_t written =
      ZSTD_decompress(plaintext.data(), plaintext.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(written) != 0) return zstd_failure(written, max_bytes);
  if (written != size) {
    return make_error(ErrorCode::kInternal, "zstd gave {} bytes the second time, {} the first",
                      written, size);
  }
  return plaintext;
}

}  // namespace

Result<std::string> bounded_zstd_decompress(crypto::ByteView compressed, std::uint64_t max_bytes) {
  const unsigned long long declared =
      ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return make_error(ErrorCode::kCorrupt, "batch payload is not a zstd frame");
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_bytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      "batch payload declares {} of plaintext, more than this tenant's "
                      "--max-batch-bytes ({}): lower the agent's uplink.batch.max_bytes",
                      config::format_size(declared), config::format_size(max_bytes));
  }
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) return decompress_undeclared(compressed, max_bytes);
  auto context = bounded_decoder(max_bytes);
  if (!context) return tl::unexpected(context.error());
  return decompress_declared(context->get(), compressed, static_cast<std::size_t>(declared),
                             max_bytes);
}

}  // namespace ferry::tenant
