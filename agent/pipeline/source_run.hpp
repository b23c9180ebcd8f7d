// One run of one source: read it, apply each stream's field policy, keep only what changed since
// the last run (change detection), cut batches, and commit them to the spool together with the
// digests of their rows and, at the end, the source's new resume state.
//
// Exactly once: a batch and the digests of its rows commit in one transaction, and a stream's
// resume state advances only with the last batch of that stream (or a checkpoint); the
// source-wide state only at the end of a run in which no stream failed (resume_state.hpp). A run
// cut short (crash, stop) re-reads from the old state; rows already spooled match their stored
// digests and are not sent again.
//
// Per stream: a stream that fails (the connector says so, or its policy cannot apply to its
// columns) keeps its old state and sends no deletes; its batches not yet committed are dropped;
// the other streams go on and commit. The run's report says which failed and why.
//
// Snapshot streams: keys stored for the stream but absent from this run's data are deletes. When
// they exceed the source's mass_delete_percent of the stream, the deletes are held (not sent, the
// state does not advance) until a run with allow_mass_delete. A snapshot stream with bad rows sends
// no deletes at all in that run (the unreadable rows' keys look vanished).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "agent/policy/compiled_policy.hpp"
#include "agent/policy/token_factory.hpp"
#include "agent/spool/spool.hpp"
#include "common/keys/keyring.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::pipeline {

struct RunOptions {
  config::BatchSettings batch;
  bool allow_mass_delete = false;
  // Where the suppression list of `ferry erase` lives (policy/suppression.hpp); "" for none.
  std::filesystem::path data_dir;
  // The keyring the tokens come from: after a rotation, the run also makes hash tokens under the
  // version before, to map them (docs/key-rotation.md). nullptr: no maps.
  const keys::Keyring* keyring = nullptr;
  // Called every few thousand rows and after each batch is spooled, on the reading thread:
  // rows read and batches spooled so far in this run (for `ferry sync` on a terminal).
  std::function<void(std::uint64_t rows_read, std::uint64_t batches)> on_progress;
};

struct StreamReport {
  std::string name;
  std::uint64_t rows_read = 0;
  std::uint64_t upserts = 0;     // new or changed rows spooled
  std::uint64_t deletes = 0;     // delete rows spooled
  std::uint64_t unchanged = 0;   // rows identical to what was sent before
  std::uint64_t suppressed = 0;  // rows of erased subjects: never sent again
  std::uint64_t bad_rows = 0;
  std::vector<connectors::BadRow> bad_row_examples;  // the first few
  // Values the policy could not carry as they are (policy::BadValues): written as null, or text
  // with its invalid UTF-8 replaced. The rows go through; the fields are named, never a value.
  std::uint64_t bad_values = 0;
  std::vector<policy::BadValues> bad_value_fields;  // the fields that had any
  std::uint64_t held_deletes = 0;  // deletes held by the mass-delete guard
  // Deletes not sent because the stream had bad rows: a row that could not be read is absent
  // from the snapshot, and its absence must not delete it at the tenant.
  std::uint64_t postponed_deletes = 0;
  std::vector<std::string> dropped_columns;
  bool skipped = false;  // the stream has no policy: nothing of it is sent
  // The stream failed in this run (connectors::RowSink::stream_failed, or a policy that cannot
  // apply to its columns): its state stays, it sent no deletes. `error` says why.
  std::optional<Error> error;
};

struct RunReport {
  std::string source;
  std::vector<StreamReport> streams;
  std::uint64_t batches = 0;
  bool source_unchanged = false;  // the source said nothing is new
  bool held = false;              // some deletes were held; the state did not advance

  // The streams that failed (StreamReport::error), in the order they failed.
  std::vector<const StreamReport*> failed_streams() const;
};

// An erasure during the run (the spool refuses its commits with kConflict) makes it start again
// from the last committed state, with the new suppression list.
Result<RunReport> run_source(const config::SourceSettings& settings, connectors::Source& source,
                             spool::Spool& spool, policy::TokenFactory& tokens,
                             const RunOptions& options, std::stop_token stop);

}  // namespace ferry::pipeline
