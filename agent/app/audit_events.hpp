// The running agent's audit log: opened once per process, and written to by the daemon (agent
// started and stopped, reloads), the uplink's hooks and erasures. Without it the agent still runs
// and says why loudly in its log.
//
// Threads: record() from any thread (AuditLog serialises its appends).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/audit/audit_log.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/context.hpp"

namespace ferry::app {

// Null (after logging why) when the audit log cannot be opened.
std::unique_ptr<audit::AuditLog> open_audit(const config::Settings& settings);

// Appends `event` when `audit` is not null; a failure is logged, never fatal.
void record(audit::AuditLog* audit, std::string_view event, boost::json::object fields);

// A source's audit fields as the entry's JSON object (string values).
boost::json::object audit_object(const connectors::AuditFields& fields);

// SHA-256 of the configuration file's bytes as read now ("" when it cannot be read): audit
// entries carry it so that a changed configuration shows.
std::string config_hash(const std::filesystem::path& file);

}  // namespace ferry::app
