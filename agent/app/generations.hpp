// The running agent's current Generation, and the reload that replaces it whole (SIGHUP or a
// `reload` request). A reload re-reads the configuration and the key file: a broken file is
// refused with every FILE:LINE:COL and the running configuration stays; a changed key that names
// the agent, its data or its sockets needs a restart; otherwise the generation is rebuilt from the
// new configuration, and should that one not start, the previous one is built again. The audit
// log records config_reloaded or config_reload_refused.
//
// Threads: install(), reload(), stop() and take() on the daemon's main thread. read() and lease()
// from any thread (the control socket's, the metrics endpoint's): read() holds a shared lock for
// the length of its call, so a reload waits for it; a lease holds no lock, and a reload stops its
// holder instead (Generation::stop).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/app/generation.hpp"
#include "agent/app/signals.hpp"
#include "common/audit/audit_log.hpp"
#include "common/config/settings.hpp"

namespace ferry::app {

// The refusal when no generation runs.
inline constexpr std::string_view kNothingRuns =
    "no configuration runs: a reload failed and the previous one could not start again; fix "
    "the configuration and reload, or restart the service (see the log)";

struct ReloadOutcome {
  bool applied = false;
  std::string message;  // what runs now, or why nothing changed
  // What runs now, when applied: for the audit entry.
  std::size_t sources = 0;
  std::uint32_t key_version = 0;
};

class Generations {
 public:
  // `started_with`: the settings the process started with; a reload may not change what names
  // the agent, its data_dir (whose lock this process holds) or its sockets. `options`: how every
  // generation is built. `audit` may be null and must outlive this object.
  Generations(std::filesystem::path config_file, config::Settings started_with,
              GenerationOptions options, audit::AuditLog* audit);

  const GenerationOptions& options() const { return options_; }

  void install(std::unique_ptr<Generation> generation);
  // On the main thread only (which alone swaps generations): the current one, or null.
  Generation* current() const { return current_.get(); }
  // Calls `use(Generation&)` while the current generation cannot be replaced; kUnavailable
  // (kNothingRuns) when none runs.
  template <class Use>
  auto read(Use use) -> Result<decltype(use(std::declval<Generation&>()))> {
    std::shared_lock lock(mutex_);
    if (!current_) return make_error(ErrorCode::kUnavailable, "{}", kNothingRuns);
    return use(*current_);
  }

  struct Leased {
    Generation* generation;
    Generation::Lease lease;
  };
  // The current generation, held until the lease is returned; kUnavailable when none runs (or it
  // is stopping).
  Result<Leased> lease();

  // `asked_by`: the uids of the users who asked over the control socket; `signal`: the SIGHUP
  // that woke the daemon, whose sender (when another process sent it) is recorded too. The
  // audit entry records them.
  ReloadOutcome reload(const std::vector<env::UserId>& asked_by = {},
                       const ReceivedSignal& signal = {});
  // Stops the current generation (it stays, for `status`); take() then hands it over to be closed.
  void stop();
  std::unique_ptr<Generation> take();

 private:
  ReloadOutcome try_reload();

  std::filesystem::path config_file_;
  config::Settings started_with_;
  GenerationOptions options_;
  audit::AuditLog* audit_;
  std::shared_mutex mutex_;  // guards current_: shared to read, exclusive to swap
  std::unique_ptr<Generation> current_;
};

// Logs what an admin should know of a generation just built: a damaged spool moved aside, or
// delivery switched off.
void log_built(const Generation& generation);

// The key that changed between `now` and `next` that a reload cannot apply ("agent.id", ...).
std::optional<std::string> restart_needed(const config::Settings& now,
                                          const config::Settings& next);

}  // namespace ferry::app
