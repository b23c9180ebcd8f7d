#include "tests/tenant/batch_payload.hpp"

#include <algorithm>

#include <boost/json/basic_parser_impl.hpp>

#include "common/crypto/hpke.hpp"
#include "tests/tenant/bounded_zstd.hpp"
#include "tests/tenant/line_reader.hpp"

namespace ferry::tenant {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// SAX events of one line, keeping nothing but what the first value is: the line is only checked,
// so a large line costs no memory beyond the parser's own stack (one entry per level).
class FirstValueKind {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  // What the line's value is, as a nack reason says it: "an object", "an array", ...
  std::string_view kind() const { return kind_; }
  void reset() { kind_ = {}; }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return seen("an object"); }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_array_begin(error_code&) { return seen("an array"); }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_key_part(json::string_view, std::size_t, error_code&) { return true; }
  bool on_key(json::string_view, std::size_t, error_code&) { return true; }
  bool on_string_part(json::string_view, std::size_t, error_code&) { return seen("a string"); }
  bool on_string(json::string_view, std::size_t, error_code&) { return seen("a string"); }
  bool on_number_part(json::string_view, error_code&) { return seen("a number"); }
  bool on_int64(std::int64_t, json::string_view, error_code&) { return seen("a number"); }
  bool on_uint64(std::uint64_t, json::string_view, error_code&) { return seen("a number"); }
  bool on_double(double, json::string_view, error_code&) { return seen("a number"); }
  bool on_bool(bool, error_code&) { return seen("true or false"); }
  bool on_null(error_code&) { return seen("null"); }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

 private:
  // Only the first event names the line's value: every later one is inside it.
  bool seen(std::string_view kind) {
    if (kind_.empty()) kind_ = kind;
    return true;
  }

  std::string_view kind_;
};

// The lines LineReader would give, counted without splitting.
std::uint64_t count_lines(std::string_view text) {
  if (text.empty()) return 0;
  const auto newlines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  return text.back() == '\n' ? newlines : newlines + 1;
}

}  // namespace

Result<std::string> open_payload(const frame::FrameView& frame, std::uint64_t seq,
                                 crypto::ByteView tenant_private_key, std::uint64_t max_bytes) {
  const crypto::ByteView keys[] = {tenant_private_key};
  return open_payload(frame, seq, keys, max_bytes);
}

Result<std::string> open_payload(const frame::FrameView& frame, std::uint64_t seq,
                                 std::span<const crypto::ByteView> tenant_private_keys,
                                 std::uint64_t max_bytes) {
  for (const crypto::ByteView key : tenant_private_keys) {
    auto compressed = crypto::hpke_open(crypto::HpkeAead::kAes256Gcm, key, frame.enc,
                                        crypto::as_bytes(frame::kHpkeInfo),
                                        crypto::as_bytes(frame.header_json), frame.ciphertext);
    if (compressed) return bounded_zstd_decompress(*compressed, max_bytes);
  }
  if (tenant_private_keys.size() > 1) {
    return make_error(ErrorCode::kCorrupt,
                      "batch seq {} does not decrypt with any of the tenant's {} keys: sealed to "
                      "another key, or the frame was altered",
                      seq, tenant_private_keys.size());
  }
  return make_error(ErrorCode::kCorrupt,
                    "batch seq {} does not decrypt: wrong tenant key, or the frame was altered",
                    seq);
}

Result<void> check_json_lines(std::string_view plaintext, std::uint64_t rows) {
  // The count first: it costs one pass over the bytes and no parsing.
  if (const std::uint64_t count = count_lines(plaintext); count != rows) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the payload has {} lines but the header says rows {}: each row is one line",
                      count, rows);
  }
  json::basic_parser<FirstValueKind> parser{json::parse_options{}};
  LineReader lines(plaintext);
  while (const auto line = lines.next()) {
    if (LineReader::is_blank(*line)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "line {} is empty: each line must be one JSON object", lines.number());
    }
    parser.reset();
    parser.handler().reset();
    error_code ec;
    std::size_t parsed = parser.write_some(false, line->data(), line->size(), ec);
    if (!ec && parsed != line->size()) {
      // The value ended early: fine when only white space follows, else name what follows.
      parsed = line->find_first_not_of(" \t\r", parsed);
      if (parsed != std::string_view::npos) ec = json::error::extra_data;
    }
    if (ec) {
      return make_error(ErrorCode::kInvalidArgument, "line {} is not JSON ({} at byte {})",
                        lines.number(), ec.message(), parsed + 1);
    }
    if (parser.handler().kind() != "an object") {
      return make_error(ErrorCode::kInvalidArgument, "line {} is {}, not a JSON object",
                        lines.number(), parser.handler().kind());
    }
  }
  return {};
}

}  // namespace ferry::tenant
