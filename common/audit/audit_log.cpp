// Stub: being written.
#include "common/audit/audit_log.hpp"

namespace ferry::audit {

struct AuditLog::Impl {};

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path&, std::chrono::seconds) {
  return std::unique_ptr<AuditLog>(new AuditLog(std::make_unique<Impl>()));
}

Result<void> AuditLog::append(std::string_view, boost::json::object) { return {}; }

Result<VerifyReport> verify(const std::filesystem::path&) { return VerifyReport{}; }

Result<std::vector<Entry>> read(const std::filesystem::path&,
                                std::optional<std::chrono::system_clock::time_point>) {
  return std::vector<Entry>{};
}

}  // namespace ferry::audit
