// What `ferry check` prints: one line per check, OK, WARN, FAIL or SKIP, then what to do. A WARN
// is something to see to (a key file without a backup) that does not stop the agent: it does not
// fail the check. Lines are
// printed as each check ends (a slow network check shows what already passed), or, with --json,
// kept and printed at the end as one JSON object. Messages never carry secrets or row values.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::cli {

enum class CheckOutcome { kOk, kWarn, kFail, kSkip };

struct CheckLine {
  CheckOutcome outcome = CheckOutcome::kOk;
  std::string name;     // "config", "key file", "source sis", "dns", "tcp", "tls", "token"
  std::string message;  // what was found, and for a WARN or a FAIL the fix
};

class CheckReport {
 public:
  enum class Style { kText, kJson };

  CheckReport(std::ostream& out, Style style) : out_(out), style_(style) {}

  void ok(std::string_view name, std::string message);
  void warn(std::string_view name, std::string message);
  void fail(std::string_view name, std::string message);
  void skip(std::string_view name, std::string message);

  bool failed() const { return failures_ > 0; }
  int warnings() const { return warnings_; }
  // With --json: prints {"ok": bool, "warnings": N, "checks": [{"check", "result",
  // "message"}...]}; "result" is "ok", "warn", "fail" or "skip".
  void finish();

 private:
  void add(CheckOutcome outcome, std::string_view name, std::string message);

  std::ostream& out_;
  Style style_;
  std::vector<CheckLine> lines_;
  int failures_ = 0;
  int warnings_ = 0;
};

}  // namespace ferry::cli
