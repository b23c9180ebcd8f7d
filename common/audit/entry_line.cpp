#include "common/audit/entry_line.hpp"

#include <algorithm>
#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/audit/audit_log.hpp"

namespace ferry::audit {

Result<std::string> sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kCrypto, "SHA-256 failed in OpenSSL (out of memory?)");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 0x0f]);
  }
  return hex;
}

namespace detail {
namespace {

constexpr std::string_view kFixedFields[] = {"seq", "at", "event", "prev"};

const boost::json::string* read_string(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value == nullptr ? nullptr : value->if_string();
}

Result<void> read_anchor(ParsedLine& parsed) {
  const auto through = read_positive(parsed.object.if_contains("removed_through_seq"));
  if (!through || *through != parsed.seq) {
    return make_error(ErrorCode::kCorrupt,
                      "\"removed_through_seq\" of an audit_trimmed entry must equal its \"seq\"");
  }
  const auto* hash = read_string(parsed.object, "removed_last_hash");
  if (hash == nullptr || !is_hash(*hash)) {
    return make_error(ErrorCode::kCorrupt, "\"removed_last_hash\" is not 64 lowercase hex digits");
  }
  parsed.removed_last_hash = std::string(*hash);
  return {};
}

}  // namespace

std::optional<std::uint64_t> read_positive(const boost::json::value* value) {
  if (value == nullptr) return std::nullopt;
  if (const auto* number = value->if_uint64(); number != nullptr && *number > 0) return *number;
  if (const auto* number = value->if_int64(); number != nullptr && *number > 0) {
    return static_cast<std::uint64_t>(*number);
  }
  return std::nullopt;
}

bool is_hash(std::string_view text) {
  return text.size() == kGenesisHash.size() && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<ParsedLine> parse_line(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(line, ec);
  if (ec || !root.is_object()) return make_error(ErrorCode::kCorrupt, "not a JSON object");
  ParsedLine parsed;
  parsed.object = std::move(root.get_object());
  const auto seq = read_positive(parsed.object.if_contains("seq"));
  if (!seq) return make_error(ErrorCode::kCorrupt, "\"seq\" is not a positive whole number");
  parsed.seq = *seq;
  const auto* at = read_string(parsed.object, "at");
  if (at == nullptr) return make_error(ErrorCode::kCorrupt, "\"at\" is missing");
  auto at_time = parse_timestamp(*at);
  if (!at_time) return make_error(ErrorCode::kCorrupt, "\"at\" is not an RFC 3339 time");
  parsed.at = std::string(*at);
  parsed.at_time = *at_time;
  const auto* event = read_string(parsed.object, "event");
  if (event == nullptr || event->empty()) {
    return make_error(ErrorCode::kCorrupt, "\"event\" is missing");
  }
  parsed.event = std::string(*event);
  const auto* prev = read_string(parsed.object, "prev");
  if (prev == nullptr || !is_hash(*prev)) {
    return make_error(ErrorCode::kCorrupt, "\"prev\" is not 64 lowercase hex digits");
  }
  parsed.prev = std::string(*prev);
  if (parsed.event == kTrimmedEvent) {
    if (auto anchor = read_anchor(parsed); !anchor) return tl::unexpected(anchor.error());
  }
  return parsed;
}

Result<void> check_caller_entry(std::string_view event, const boost::json::object& fields) {
  const bool well_formed =
      !event.empty() && event.size() <= 64 && std::all_of(event.begin(), event.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
  if (!well_formed) {
    return make_error(ErrorCode::kInvalidArgument,
                      "audit event '{}' must be 1 to 64 lowercase letters, digits and '_'", event);
  }
  if (event.starts_with("audit_")) {
    return make_error(ErrorCode::kInvalidArgument,
                      "audit event '{}' is reserved: names starting with audit_ are the log's own",
                      event);
  }
  for (const auto& field : fields) {
    const std::string_view key = field.key();
    if (std::find(std::begin(kFixedFields), std::end(kFixedFields), key) !=
        std::end(kFixedFields)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "audit event '{}': field name '{}' is reserved for the log itself", event,
                        key);
    }
  }
  return {};
}

std::string format_line(std::uint64_t seq, std::string_view at, std::string_view event,
                        std::string_view prev, const boost::json::object& fields) {
  boost::json::object object;
  object.reserve(std::size(kFixedFields) + fields.size());
  object.emplace("seq", seq);
  object.emplace("at", at);
  object.emplace("event", event);
  object.emplace("prev", prev);
  for (const auto& field : fields) object.emplace(field.key(), field.value());
  return boost::json::serialize(object);
}

Result<ChainPoint> chain_point_after(const ParsedLine& parsed, std::string_view line) {
  if (parsed.event == kTrimmedEvent) return ChainPoint{parsed.seq, parsed.removed_last_hash};
  auto hash = sha256_hex(line);
  if (!hash) return tl::unexpected(hash.error());
  return ChainPoint{parsed.seq, std::move(*hash)};
}

}  // namespace detail
}  // namespace ferry::audit
