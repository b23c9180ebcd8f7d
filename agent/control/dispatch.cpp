#include "agent/control/dispatch.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ferry::control {
namespace {

namespace json = boost::json;

// The answer line of a handler's result, or its refusal.
template <class T, class Format>
std::string reply(const Result<T>& result, Format format) {
  if (!result) return refusal_line(result.error().message);
  return format(*result);
}

std::string with_ok(json::object answer) {
  answer["ok"] = true;
  return json::serialize(answer);
}

std::string message_line(const std::string& message) { return ok_line(message); }

}  // namespace

std::string dispatch(std::string_view line, RequestHandler& handler, const env::UserId& caller) {
  boost::system::error_code ec;
  json::value request = json::parse(line, ec);
  const json::object* object = ec ? nullptr : request.if_object();
  const json::value* cmd = object != nullptr ? object->if_contains("cmd") : nullptr;
  if (cmd == nullptr || !cmd->is_string()) {
    return refusal_line("a request is one JSON object a line with a string \"cmd\"");
  }
  const std::string_view name = cmd->get_string();
  if (name == "status") {
    return reply(handler.status(),
                 [](const json::object& status) { return json::serialize(status); });
  }
  if (name == "sync_now") {
    auto asked = parse_sync_now(*object);
    return reply(asked.and_then([&](const auto& r) { return handler.sync_now(r, caller); }),
                 message_line);
  }
  if (name == "sync_wait") {
    auto asked = parse_sync_wait(*object);
    return reply(asked.and_then([&](const auto& r) { return handler.sync_wait(r, caller); }),
                 [](const SyncWaitReply& done) { return with_ok(to_json(done)); });
  }
  if (name == "erase") {
    auto asked = parse_erase(*object);
    return reply(asked.and_then([&](const auto& r) { return handler.erase(r, caller); }),
                 [](const EraseReply& done) { return with_ok(to_json(done)); });
  }
  if (name == "reload") return reply(handler.reload(caller), message_line);
  if (name == "ping") {
    auto alive = handler.ping();
    return alive ? ok_line() : refusal_line(alive.error().message);
  }
  return refusal_line(fmt::format(
      "unknown cmd '{}' (known: status, sync_now, sync_wait, erase, reload, ping)", name));
}

}  // namespace ferry::control
