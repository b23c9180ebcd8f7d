#include "agent/control/replies.hpp"

#include <boost/json.hpp>

#include "agent/control/json_fields.hpp"

namespace ferry::control {
namespace {

namespace json = boost::json;

SpoolReply spool_of(const json::object& spool) {
  return {number_at(spool, "batches"), number_at(spool, "bytes"), number_at(spool, "rejected")};
}

}  // namespace

std::string refusal_line(std::string_view error) {
  return json::serialize(json::object{{"ok", false}, {"error", error}});
}

std::string ok_line() { return R"({"ok":true})"; }

std::string ok_line(std::string_view message) {
  return json::serialize(json::object{{"ok", true}, {"message", message}});
}

Result<std::optional<std::string>> refusal_of(const json::object& answer, std::string_view socket) {
  const json::value* ok = answer.if_contains("ok");
  if (ok == nullptr || !ok->is_bool()) {
    return make_error(ErrorCode::kIo, "the agent's answer on {} has no \"ok\"", socket);
  }
  if (ok->get_bool()) return std::optional<std::string>();
  const std::string error = text_at(answer, "error");
  return std::optional<std::string>(error.empty() ? "no reason given" : error);
}

Result<json::object> parse_answer(std::string_view line, std::string_view socket) {
  boost::system::error_code ec;
  json::value value = json::parse(line, ec);
  if (ec || !value.is_object()) {
    return make_error(ErrorCode::kIo, "the agent's answer on {} is not a JSON object", socket);
  }
  return std::move(value.get_object());
}

const SourceReply* StatusReply::source(std::string_view name) const {
  for (const auto& entry : sources) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

Result<StatusReply> parse_status(std::string raw, std::string_view socket) {
  auto parsed = parse_answer(raw, socket);
  if (!parsed) return tl::unexpected(parsed.error());
  StatusReply reply;
  reply.raw = std::move(raw);
  reply.json = std::move(*parsed);
  const json::object& status = reply.json;
  reply.agent_id = text_at(status, "agent_id");
  reply.tenant_id = text_at(status, "tenant_id");
  reply.version = text_at(status, "version");
  const json::object& uplink = object_at(status, "uplink");
  reply.uplink = {text_at(uplink, "state"), text_at(uplink, "url"), text_at(uplink, "last_error")};
  reply.spool = spool_of(object_at(status, "spool"));
  if (const auto* sources = status.if_contains("sources"); sources && sources->is_array()) {
    for (const auto& item : sources->get_array()) {
      if (!item.is_object()) continue;
      const json::object& source = item.get_object();
      reply.sources.push_back({text_at(source, "name"), text_at(source, "type"),
                               text_at(source, "state"), number_at(source, "runs"),
                               number_at(source, "rows_last_run"), text_at(source, "last_error")});
    }
  }
  return reply;
}

json::object to_json(const EraseReply& reply) {
  json::array sources;
  for (const auto& source : reply.sources_reread) sources.emplace_back(source);
  json::object object{{"domain", reply.domain},
                      {"tokens", reply.tokens},
                      {"new_tokens", reply.new_tokens},
                      {"erase_seq", reply.erase_seq},
                      {"digests_removed", reply.digests_removed},
                      {"withheld_batches", reply.withheld_batches},
                      {"withheld_rows", reply.withheld_rows},
                      {"sources_reread", std::move(sources)}};
  if (!reply.audit_error.empty()) object["audit_error"] = reply.audit_error;
  return object;
}

EraseReply parse_erase_reply(const json::object& answer) {
  EraseReply reply;
  reply.domain = text_at(answer, "domain");
  reply.tokens = number_at(answer, "tokens");
  reply.new_tokens = number_at(answer, "new_tokens");
  reply.erase_seq = number_at(answer, "erase_seq");
  reply.digests_removed = number_at(answer, "digests_removed");
  reply.withheld_batches = number_at(answer, "withheld_batches");
  reply.withheld_rows = number_at(answer, "withheld_rows");
  if (const auto* list = answer.if_contains("sources_reread"); list && list->is_array()) {
    for (const auto& source : list->get_array()) {
      if (source.is_string()) reply.sources_reread.emplace_back(source.get_string());
    }
  }
  reply.audit_error = text_at(answer, "audit_error");
  return reply;
}

json::object to_json(const SyncWaitReply& reply) {
  json::array runs;
  for (const RunReply& run : reply.runs) {
    runs.push_back(json::object{{"name", run.name},
                                {"outcome", run.outcome},
                                {"rows_read", run.rows_read},
                                {"error", text_or_null(run.error)},
                                {"bad_rows", run.bad_rows},
                                {"bad_values", run.bad_values}});
  }
  return {{"done", reply.done},
          {"runs", std::move(runs)},
          {"spool", json::object{{"batches", reply.spool.batches},
                                 {"bytes", reply.spool.bytes},
                                 {"rejected", reply.spool.rejected}}},
          {"uplink_refused", text_or_null(reply.uplink_refused)}};
}

SyncWaitReply parse_sync_wait_reply(const json::object& answer) {
  SyncWaitReply reply;
  const json::value* done = answer.if_contains("done");
  reply.done = done != nullptr && done->is_bool() && done->get_bool();
  if (const auto* runs = answer.if_contains("runs"); runs && runs->is_array()) {
    for (const auto& item : runs->get_array()) {
      if (!item.is_object()) continue;
      const json::object& run = item.get_object();
      reply.runs.push_back({text_at(run, "name"), text_at(run, "outcome"),
                            number_at(run, "rows_read"), text_at(run, "error"),
                            number_at(run, "bad_rows"), number_at(run, "bad_values")});
    }
  }
  reply.spool = spool_of(object_at(answer, "spool"));
  reply.uplink_refused = text_at(answer, "uplink_refused");
  return reply;
}

}  // namespace ferry::control
