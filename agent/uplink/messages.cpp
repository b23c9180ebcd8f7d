#include "agent/uplink/messages.hpp"

#include <boost/json.hpp>

#include "common/log/printable.hpp"

namespace ferry::uplink {
namespace {

namespace json = boost::json;

Result<std::uint64_t> get_uint(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return make_error(ErrorCode::kCorrupt, "no '{}'", key);
  if (const auto* u = value->if_uint64()) return *u;
  if (const auto* i = value->if_int64(); i != nullptr && *i >= 0) {
    return static_cast<std::uint64_t>(*i);
  }
  return make_error(ErrorCode::kCorrupt, "'{}' is not a whole number >= 0", key);
}

Result<std::string> get_string(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return make_error(ErrorCode::kCorrupt, "no '{}'", key);
  const auto* text = value->if_string();
  if (text == nullptr) return make_error(ErrorCode::kCorrupt, "'{}' is not a string", key);
  // Whatever the tenant writes may end up in a log line or on a terminal: escaped once, here.
  return log::printable(std::string_view(text->data(), text->size()));
}

Result<Incoming> parse_object(const json::object& object, std::string_view type) {
  if (type == "welcome") {
    auto acked = get_uint(object, "acked_through");
    if (!acked) return tl::unexpected(acked.error());
    Welcome welcome{*acked, ""};
    if (object.contains("key_id")) {
      auto key_id = get_string(object, "key_id");
      if (!key_id) return tl::unexpected(key_id.error());
      welcome.key_id = std::move(*key_id);
    }
    return welcome;
  }
  if (type == "ack" || type == "nack") {
    auto seq = get_uint(object, "seq");
    if (!seq) return tl::unexpected(seq.error());
    auto batch_id = get_string(object, "batch_id");
    if (!batch_id) return tl::unexpected(batch_id.error());
    if (type == "ack") return Ack{*seq, std::move(*batch_id)};
    Nack nack{*seq, std::move(*batch_id), true, ""};
    if (const json::value* retry = object.if_contains("retry")) {
      const bool* flag = retry->if_bool();
      if (flag == nullptr) return make_error(ErrorCode::kCorrupt, "'retry' is not true or false");
      nack.retry = *flag;
    }
    if (auto reason = get_string(object, "reason")) nack.reason = std::move(*reason);
    return nack;
  }
  if (type == "gap_ack") {
    auto to_seq = get_uint(object, "to_seq");
    if (!to_seq) return tl::unexpected(to_seq.error());
    return GapAck{*to_seq};
  }
  if (type == "command") {
    const json::value* id = object.if_contains("id");
    if (id == nullptr || !(id->is_string() || id->is_number())) {
      return make_error(ErrorCode::kCorrupt, "command without a string or number 'id'");
    }
    auto name = get_string(object, "name");
    if (!name) return tl::unexpected(name.error());
    Command command{json::serialize(*id), std::move(*name), ""};
    if (const json::value* source = object.if_contains("source"); source && source->is_string()) {
      command.source = log::printable(std::string_view(source->get_string()));
    }
    return command;
  }
  if (type == "rekey_request") {
    const json::value* id = object.if_contains("id");
    if (id == nullptr || !(id->is_string() || id->is_number())) {
      return make_error(ErrorCode::kCorrupt, "rekey_request without a string or number 'id'");
    }
    const json::value* tokens = object.if_contains("tokens");
    if (tokens == nullptr || !tokens->is_array()) {
      return make_error(ErrorCode::kCorrupt, "'tokens' is not an array");
    }
    RekeyRequest request{json::serialize(*id), {}, tokens->get_array().size()};
    if (request.count > kMaxRekeyTokens) return request;  // refused whole: not even copied
    request.tokens.reserve(request.count);
    for (const json::value& token : tokens->get_array()) {
      const auto* text = token.if_string();
      if (text == nullptr) return make_error(ErrorCode::kCorrupt, "'tokens' holds a non-string");
      request.tokens.emplace_back(text->data(), text->size());
    }
    return request;
  }
  return UnknownMessage{std::string(type)};  // escaped by get_string
}

}  // namespace

Result<Incoming> parse_incoming(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return make_error(ErrorCode::kCorrupt, "not JSON ({})", ec.message());
  const json::object* object = value.if_object();
  if (object == nullptr) return make_error(ErrorCode::kCorrupt, "not a JSON object");
  auto type = get_string(*object, "type");
  if (!type) return tl::unexpected(type.error());
  auto parsed = parse_object(*object, *type);
  if (!parsed) return with_context(parsed.error(), fmt::format("'{}' message", *type));
  return parsed;
}

std::string to_json(const Hello& hello) {
  json::object object;
  object["type"] = "hello";
  object["v"] = 1;
  object["agent_id"] = hello.agent_id;
  object["tenant_id"] = hello.tenant_id;
  object["spool_id"] = hello.spool_id;
  object["agent_version"] = hello.agent_version;
  object["next_seq"] = hello.next_seq;
  return json::serialize(object);
}

std::string gap_json(std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                     std::string_view reason) {
  json::object object;
  object["type"] = "gap";
  object["from_seq"] = from_seq;
  object["to_seq"] = to_seq;
  object["rows"] = rows;
  object["reason"] = reason;
  return json::serialize(object);
}

std::string command_result_json(std::string_view id_json, bool ok, std::string_view message) {
  json::object object;
  object["type"] = "command_result";
  object["id"] = json::parse(id_json);
  object["ok"] = ok;
  object["message"] = message;
  return json::serialize(object);
}

std::string rekey_result_json(std::string_view id_json, bool ok, const RekeyOutcome& outcome,
                              std::string_view message) {
  json::object object;
  object["type"] = "rekey_result";
  object["id"] = json::parse(id_json);
  object["ok"] = ok;
  object["mapped"] = outcome.mapped;
  object["unknown"] = outcome.unknown;
  object["current"] = outcome.current;
  object["seq"] = outcome.seq;
  object["message"] = message;
  return json::serialize(object);
}

}  // namespace ferry::uplink
