#include "common/frame/frame.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <zstd.h>

#include "common/crypto/hpke.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace ferry::frame {
namespace {

constexpr crypto::HpkeAead kAead = crypto::HpkeAead::kAes256Gcm;

Result<std::string> get_string(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return make_error(ErrorCode::kCorrupt, "frame header: \"{}\" missing or not a string", key);
  }
  return std::string(value->get_string());
}

Result<std::uint64_t> get_uint(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value != nullptr) {
    if (const auto* i = value->if_int64(); i != nullptr && *i >= 0)
      return static_cast<std::uint64_t>(*i);
    if (const auto* u = value->if_uint64(); u != nullptr) return *u;
  }
  return make_error(ErrorCode::kCorrupt, "frame header: \"{}\" missing or not a whole number", key);
}

}  // namespace

std::string Header::to_json() const {
  boost::json::object object;
  object["v"] = v;
  object["batch_id"] = batch_id;
  object["agent_id"] = agent_id;
  object["tenant_id"] = tenant_id;
  object["spool_id"] = spool_id;
  object["seq"] = seq;
  object["kind"] = kind;
  object["source"] = source;
  object["stream"] = stream;
  object["rows"] = rows;
  object["encoding"] = encoding;
  object["key_version"] = key_version;
  object["created_at"] = created_at;
  if (!tenant_key_id.empty()) object["tenant_key_id"] = tenant_key_id;
  return boost::json::serialize(object);
}

Result<Header> Header::from_json(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(json, ec);
  if (ec) return make_error(ErrorCode::kCorrupt, "frame header is not JSON: {}", ec.message());
  const auto* object = root.if_object();
  if (object == nullptr)
    return make_error(ErrorCode::kCorrupt, "frame header is not a JSON object");
  Header header;
  auto version = get_uint(*object, "v");
  if (!version) return tl::unexpected(version.error());
  if (*version != 1) {
    return make_error(ErrorCode::kCorrupt, "frame header version {} is not supported (only 1)",
                      *version);
  }
  std::string* strings[] = {&header.batch_id, &header.agent_id, &header.tenant_id,
                            &header.spool_id, &header.kind,     &header.source,
                            &header.stream,   &header.encoding, &header.created_at};
  constexpr std::string_view kStringKeys[] = {"batch_id", "agent_id", "tenant_id",
                                              "spool_id", "kind",     "source",
                                              "stream",   "encoding", "created_at"};
  for (std::size_t i = 0; i < std::size(kStringKeys); ++i) {
    auto value = get_string(*object, kStringKeys[i]);
    if (!value) return tl::unexpected(value.error());
    *strings[i] = std::move(*value);
  }
  auto seq = get_uint(*object, "seq");
  auto rows = get_uint(*object, "rows");
  auto key_version = get_uint(*object, "key_version");
  if (!seq) return tl::unexpected(seq.error());
  if (!rows) return tl::unexpected(rows.error());
  if (!key_version) return tl::unexpected(key_version.error());
  header.seq = *seq;
  header.rows = *rows;
  header.key_version = static_cast<std::uint32_t>(*key_version);
  if (header.kind != "rows" && header.kind != "erase" && header.kind != "rekey") {
    return make_error(ErrorCode::kCorrupt, "frame header: unknown kind '{}'", header.kind);
  }
  if (header.encoding != kEncoding) {
    return make_error(ErrorCode::kCorrupt, "frame header: unknown encoding '{}'", header.encoding);
  }
  // Optional: frames spooled by agents from before it do not carry it.
  if (object->contains("tenant_key_id")) {
    auto key_id = get_string(*object, "tenant_key_id");
    if (!key_id) return tl::unexpected(key_id.error());
    if (!is_key_id(*key_id)) {
      return make_error(ErrorCode::kCorrupt,
                        "frame header: \"tenant_key_id\" is not {} lowercase hex digits",
                        kKeyIdSize);
    }
    header.tenant_key_id = std::move(*key_id);
  }
  return header;
}

Result<std::string> tenant_key_id(crypto::ByteView public_key) {
  auto sha = crypto::Sha256::create();
  if (!sha) return tl::unexpected(sha.error());
  auto digest = sha->digest(public_key);
  if (!digest) return tl::unexpected(digest.error());
  std::string id;
  id.reserve(kKeyIdSize);
  for (std::size_t i = 0; i < kKeyIdSize / 2; ++i) {
    fmt::format_to(std::back_inserter(id), "{:02x}", (*digest)[i]);
  }
  return id;
}

bool is_key_id(std::string_view text) {
  return text.size() == kKeyIdSize && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<crypto::Bytes> seal(const Header& header, crypto::ByteView tenant_public_key,
                           crypto::ByteView compressed) {
  if (!header.tenant_key_id.empty()) {
    auto id = tenant_key_id(tenant_public_key);
    if (!id) return tl::unexpected(id.error());
    if (*id != header.tenant_key_id) {
      return make_error(ErrorCode::kInternal,
                        "batch header names tenant key {} but is sealed to key {}",
                        header.tenant_key_id, *id);
    }
  }
  const std::string json = header.to_json();
  auto sealed = crypto::hpke_seal(kAead, tenant_public_key, crypto::as_bytes(kHpkeInfo),
                                  crypto::as_bytes(json), compressed);
  if (!sealed) return tl::unexpected(sealed.error());
  crypto::Bytes frame;
  frame.reserve(kMagic.size() + 4 + json.size() + sealed->enc.size() + sealed->ciphertext.size());
  frame.insert(frame.end(), kMagic.begin(), kMagic.end());
  const auto size = static_cast<std::uint32_t>(json.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<std::uint8_t>((size >> shift) & 0xff));
  }
  frame.insert(frame.end(), json.begin(), json.end());
  frame.insert(frame.end(), sealed->enc.begin(), sealed->enc.end());
  frame.insert(frame.end(), sealed->ciphertext.begin(), sealed->ciphertext.end());
  return frame;
}

Result<FrameView> split(crypto::ByteView frame) {
  if (frame.size() < kMagic.size() + 4 ||
      std::memcmp(frame.data(), kMagic.data(), kMagic.size()) != 0) {
    return make_error(ErrorCode::kCorrupt, "not a Ferry batch frame (no \"FRY1\" magic)");
  }
  std::uint32_t size = 0;
  for (std::size_t i = 0; i < 4; ++i) size = (size << 8) | frame[kMagic.size() + i];
  const std::size_t header_at = kMagic.size() + 4;
  if (size > kMaxHeaderSize || frame.size() < header_at + size + kEncSize + 16) {
    return make_error(ErrorCode::kCorrupt,
                      "batch frame is truncated or its header length is wrong");
  }
  FrameView view;
  view.header_json = crypto::as_chars(frame.subspan(header_at, size));
  view.enc = frame.subspan(header_at + size, kEncSize);
  view.ciphertext = frame.subspan(header_at + size + kEncSize);
  return view;
}

Result<Opened> open(crypto::ByteView frame, crypto::ByteView tenant_private_key,
                    std::size_t max_plaintext) {
  auto view = split(frame);
  if (!view) return tl::unexpected(view.error());
  auto header = Header::from_json(view->header_json);
  if (!header) return tl::unexpected(header.error());
  auto compressed =
      crypto::hpke_open(kAead, tenant_private_key, view->enc, crypto::as_bytes(kHpkeInfo),
                        crypto::as_bytes(view->header_json), view->ciphertext);
  if (!compressed) {
    return make_error(ErrorCode::kCorrupt,
                      "batch seq {} does not decrypt: wrong tenant key, or the frame was altered",
                      header->seq);
  }
  auto plaintext = zstd_decompress(*compressed, max_plaintext);
  if (!plaintext) return tl::unexpected(plaintext.error());
  return Opened{std::move(*header), std::move(*plaintext)};
}

Result<crypto::Bytes> zstd_compress(std::string_view text, int level) {
  crypto::Bytes out(ZSTD_compressBound(text.size()));
  const std::size_t size = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), level);
  if (ZSTD_isError(size) != 0) {
    return make_error(ErrorCode::kInternal, "zstd compression failed: {}", ZSTD_getErrorName(size));
  }
  out.resize(size);
  return out;
}

Result<std::string> zstd_decompress(crypto::ByteView compressed, std::size_t max_size) {
  const unsigned long long declared =
      ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return make_error(ErrorCode::kCorrupt, "batch payload is not a zstd frame");
  }
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN || declared > max_size) {
    return make_error(ErrorCode::kCorrupt,
                      "batch payload declares no size or more than {} bytes; refusing it",
                      max_size);
  }
  std::string out(static_cast<std::size_t>(declared), '\0');
  const std::size_t size =
      ZSTD_decompress(out.data(), out.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(size) != 0 || size != declared) {
    return make_error(ErrorCode::kCorrupt, "batch payload does not decompress");
  }
  return out;
}

Result<std::string> new_uuid() {
  std::array<std::uint8_t, 16> bytes{};
  if (auto filled = crypto::random_fill(bytes); !filled) return tl::unexpected(filled.error());
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    fmt::format_to(std::back_inserter(out), "{:02x}", bytes[i]);
  }
  return out;
}

}  // namespace ferry::frame
