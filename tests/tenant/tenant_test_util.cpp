#include "tests/tenant/tenant_test_util.hpp"

#include <stdexcept>

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

}  // namespace ferry::tenant::test
