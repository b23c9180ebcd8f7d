#include "agent/control/requests.hpp"

#include <cstdint>

#include <boost/json.hpp>

#include "common/crypto/tokens.hpp"

namespace ferry::control {
namespace {

namespace json = boost::json;

std::string line_of(json::object object) { return json::serialize(object); }

}  // namespace

std::string status_line() { return R"({"cmd":"status"})"; }
std::string ping_line() { return R"({"cmd":"ping"})"; }
std::string reload_line() { return R"({"cmd":"reload"})"; }

std::string to_line(const SyncNowRequest& request) {
  json::object line{{"cmd", "sync_now"}};
  if (request.source) line["source"] = *request.source;
  return line_of(std::move(line));
}

std::string to_line(const EraseRequest& request) {
  json::array tokens;
  for (const auto& token : request.tokens) tokens.emplace_back(token);
  return line_of({{"cmd", "erase"}, {"domain", request.domain}, {"tokens", std::move(tokens)}});
}

std::string to_line(const SyncWaitRequest& request) {
  json::array sources;
  for (const auto& source : request.sources) sources.emplace_back(source);
  return line_of({{"cmd", "sync_wait"},
                  {"sources", std::move(sources)},
                  {"drain", request.drain},
                  {"timeout_ms", request.timeout.count()}});
}

Result<SyncNowRequest> parse_sync_now(const json::object& request) {
  SyncNowRequest parsed;
  if (const auto* given = request.if_contains("source");
      given && given->is_string() && !given->get_string().empty()) {
    parsed.source = std::string(given->get_string());
  }
  return parsed;
}

Result<EraseRequest> parse_erase(const json::object& request) {
  const auto* domain = request.if_contains("domain");
  const auto* tokens = request.if_contains("tokens");
  if (domain == nullptr || !domain->is_string() || tokens == nullptr || !tokens->is_array() ||
      tokens->get_array().empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "erase needs a string \"domain\" and a non-empty array \"tokens\"");
  }
  EraseRequest parsed;
  for (const auto& token : tokens->get_array()) {
    if (!token.is_string() || !crypto::token_version(token.get_string())) {
      return make_error(ErrorCode::kInvalidArgument,
                        "erase: every item of \"tokens\" must be a pseudonym or hash token");
    }
    parsed.tokens.emplace_back(token.get_string());
  }
  if (!crypto::is_valid_domain(domain->get_string())) {
    return make_error(ErrorCode::kInvalidArgument,
                      "erase: \"domain\" is not a valid domain ([a-z0-9_.-]+)");
  }
  parsed.domain = std::string(domain->get_string());
  return parsed;
}

Result<SyncWaitRequest> parse_sync_wait(const json::object& request) {
  SyncWaitRequest parsed;
  if (const auto* sources = request.if_contains("sources"); sources && !sources->is_null()) {
    if (!sources->is_array()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "sync_wait: \"sources\" must be an array of source names");
    }
    for (const auto& source : sources->get_array()) {
      if (!source.is_string() || source.get_string().empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "sync_wait: every item of \"sources\" must be a source name");
      }
      parsed.sources.emplace_back(source.get_string());
    }
  }
  if (const auto* drain = request.if_contains("drain"); drain && !drain->is_null()) {
    if (!drain->is_bool()) {
      return make_error(ErrorCode::kInvalidArgument, "sync_wait: \"drain\" must be true or false");
    }
    parsed.drain = drain->get_bool();
  }
  const auto* timeout = request.if_contains("timeout_ms");
  const std::int64_t* ms = timeout != nullptr ? timeout->if_int64() : nullptr;
  const std::uint64_t* ums = timeout != nullptr ? timeout->if_uint64() : nullptr;
  const std::int64_t value =
      ms != nullptr ? *ms
                    : (ums != nullptr && *ums <= INT64_MAX ? static_cast<std::int64_t>(*ums) : -1);
  if (value <= 0 || value > kMaxSyncWait.count()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "sync_wait needs \"timeout_ms\": a whole number of milliseconds from 1 to {}",
                      kMaxSyncWait.count());
  }
  parsed.timeout = std::chrono::milliseconds(value);
  return parsed;
}

}  // namespace ferry::control
