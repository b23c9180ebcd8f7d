// One source, alive across runs, and one run of it: the pipeline read into the spool, with every
// way it can end turned into a RunOutcome (a failed stream, a full spool, a stop, an exception
// out of the connector). The collector's workers and `ferry sync` both run sources through this.
//
// Threads: run() is called from one thread at a time (a source never runs twice at once).
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "agent/collector/scheduler.hpp"
#include "agent/collector/source_status.hpp"
#include "agent/pipeline/source_run.hpp"
#include "agent/policy/token_factory.hpp"
#include "agent/spool/spool.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::collector {

struct RunOutcome {
  RunEnd::Kind kind = RunEnd::Kind::kSucceeded;
  FailureClass failure = FailureClass::kNone;
  bool disk_full = false;  // kPaused by a full disk under the spool, not by spool.max_bytes
  // The read got through (some streams may have failed: see report->failed_streams()).
  std::optional<pipeline::RunReport> report;
  // What went wrong, one line for people: the run's error, the streams that failed, or the
  // deletes held by the mass-delete guard. "" for a clean run.
  std::string problem;
};

class SourceRunner {
 public:
  // Builds the source (which opens nothing yet). A type without a connector, or settings the
  // connector refuses, is an error: a bad configuration never half-starts.
  // `make` builds the source; the built-in connectors when empty.
  static Result<std::unique_ptr<SourceRunner>> create(const config::SourceSettings& settings,
                                                      connectors::SourceContext context,
                                                      const connectors::SourceMaker& make = {});

  RunOutcome run(spool::Spool& spool, policy::TokenFactory& tokens,
                 const pipeline::RunOptions& options, std::stop_token stop);

  const config::SourceSettings& settings() const { return settings_; }

 private:
  SourceRunner(config::SourceSettings settings, connectors::SourceContext context,
               std::unique_ptr<connectors::Source> source);

  config::SourceSettings settings_;
  connectors::SourceContext context_;
  std::unique_ptr<connectors::Source> source_;
};

// The context the agent gives a source: its logger, `clock`, `file_system`, and its scratch folder
// under `data_dir` (created 0700 and emptied; the caller holds the data_dir lock).
Result<connectors::SourceContext> agent_context(const config::SourceSettings& settings,
                                                const std::filesystem::path& data_dir,
                                                const env::Clock& clock,
                                                const env::FileSystem& file_system);

}  // namespace ferry::collector
