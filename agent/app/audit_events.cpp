#include "agent/app/audit_events.hpp"

#include "common/fs/read_file.hpp"
#include "common/log/log.hpp"

namespace ferry::app {

std::unique_ptr<audit::AuditLog> open_audit(const config::Settings& settings) {
  auto opened = audit::AuditLog::open(
      settings.agent.data_dir,
      std::chrono::duration_cast<std::chrono::seconds>(settings.agent.audit_retention));
  if (!opened) {
    log::get("agent")->error("the audit log cannot be opened: {}; nothing will be recorded in it",
                             opened.error().message);
    return nullptr;
  }
  return std::move(*opened);
}

boost::json::object audit_object(const connectors::AuditFields& fields) {
  boost::json::object object;
  for (const auto& [name, value] : fields) object[name] = value;
  return object;
}

void record(audit::AuditLog* audit, std::string_view event, boost::json::object fields) {
  if (audit == nullptr) return;
  if (auto recorded = audit->append(event, std::move(fields)); !recorded) {
    log::get("agent")->error("the audit log did not record {}: {}", event,
                             recorded.error().message);
  }
}

std::string config_hash(const std::filesystem::path& file) {
  auto text = fs::read_small_file(file);
  if (!text) return "";
  auto hash = audit::sha256_hex(*text);
  return hash ? *hash : "";
}

}  // namespace ferry::app
