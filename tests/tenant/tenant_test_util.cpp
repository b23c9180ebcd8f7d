#include "tests/tenant/tenant_test_util.hpp"

#include <stdexcept>

#include <zstd.h>

namespace ferry::tenant::test {

frame::Header header_for(std::uint64_t seq, std::string_view source, std::string_view stream) {
  frame::Header header;
  header.batch_id = "batch-" + std::to_string(seq);
  header.agent_id = std::string(kAgent);
  header.tenant_id = std::string(kTenant);
  header.spool_id = std::string(kSpool);
  header.seq = seq;
  header.source = std::string(source);
  header.stream = std::string(stream);
  header.rows = 1;
  header.key_version = 1;
  header.created_at = "2026-11-23T10:00:00Z";
  return header;
}

crypto::Bytes sealed_frame(const frame::Header& header, crypto::ByteView tenant_public_key,
                           std::string_view rows) {
  auto compressed = frame::zstd_compress(rows);
  if (!compressed) throw std::runtime_error(compressed.error().message);
  auto sealed = frame::seal(header, tenant_public_key, *compressed);
  if (!sealed) throw std::runtime_error(sealed.error().message);
  return std::move(*sealed);
}

crypto::Bytes zstd_without_size(std::string_view text, int window_log) {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, window_log);
  crypto::Bytes out(ZSTD_compressBound(text.size()) + 1024);
  ZSTD_outBuffer output{out.data(), out.size(), 0};
  // Fed in pieces, so the compressor never sees the whole size at once.
  constexpr std::size_t kPiece = 64 * 1024;
  for (std::size_t at = 0; at < text.size(); at += kPiece) {
    const std::string_view piece = text.substr(at, kPiece);
    ZSTD_inBuffer input{piece.data(), piece.size(), 0};
    while (input.pos < input.size) ZSTD_compressStream2(context, &output, &input, ZSTD_e_continue);
  }
  ZSTD_inBuffer none{nullptr, 0, 0};
  while (ZSTD_compressStream2(context, &output, &none, ZSTD_e_end) != 0) {
  }
  ZSTD_freeCCtx(context);
  out.resize(output.pos);
  if (ZSTD_getFrameContentSize(out.data(), out.size()) != ZSTD_CONTENTSIZE_UNKNOWN) {
    throw std::runtime_error("zstd_without_size: the frame declares its size");
  }
  return out;
}

}  // namespace ferry::tenant::test
