#include "agent/spool/eraser.hpp"

#include <algorithm>

#include "agent/spool/spool_meta.hpp"

namespace ferry::spool {

Result<void> Eraser::migrate(sqlite::Database& db) {
  return db.exec("INSERT OR IGNORE INTO meta(key, value) VALUES ('erasures', '0')");
}

Result<std::uint64_t> Eraser::erasures() { return meta::read_counter(db_, "erasures"); }

Result<void> Eraser::check_current(std::uint64_t counted, std::string_view source) {
  auto erasures = meta::read_counter(db_, "erasures");
  if (!erasures) return tl::unexpected(erasures.error());
  if (*erasures != counted) {
    return make_error(ErrorCode::kConflict,
                      "source '{}': a subject was erased while this run read its rows; the "
                      "run starts again with the new suppression list",
                      source);
  }
  return {};
}

Result<ErasureReport> Eraser::erase(const Erasure& erasure) {
  ErasureReport report;
  auto removed = changes_.erase_keys(erasure.keys);
  if (!removed) return tl::unexpected(removed.error());
  report.digests_removed += *removed;
  if (auto withheld = withhold_after(erasure.withhold_after, report); !withheld) {
    return tl::unexpected(withheld.error());
  }
  if (auto counted = meta::add_to_counter(db_, "erasures", 1); !counted) {
    return tl::unexpected(counted.error());
  }
  // The erase batch is small and must never be refused for room: it is what makes the tenant
  // forget. It goes in whatever the spool's size.
  auto seqs = batches_.insert({erasure.batch}, "");
  if (!seqs) return tl::unexpected(seqs.error());
  report.seq = seqs->front();
  return report;
}

Result<void> Eraser::withhold_after(std::uint64_t after, ErasureReport& report) {
  // Unsent row batches may carry an erased subject, and the agent cannot open them (they are
  // sealed to the tenant): they are withheld, and their sources read again.
  auto unsent = batches_.unsent_rows_after(after);
  if (!unsent) return tl::unexpected(unsent.error());
  struct Span {
    std::uint64_t from = 0, to = 0, rows = 0;
  };
  std::vector<Span> spans;
  for (BatchStore::Unsent& batch : *unsent) {
    if (!spans.empty() && spans.back().to + 1 == batch.seq) {
      spans.back().to = batch.seq;
      spans.back().rows += batch.rows;
    } else {
      spans.push_back({batch.seq, batch.seq, batch.rows});
    }
    ++report.withheld_batches;
    report.withheld_rows += batch.rows;
    if (std::find(report.sources_reset.begin(), report.sources_reset.end(), batch.source) ==
        report.sources_reset.end()) {
      report.sources_reset.push_back(std::move(batch.source));
    }
  }
  for (const Span& span : spans) {
    if (auto removed = batches_.remove_as_gap(span.from, span.to, span.rows, kWithheldReason);
        !removed) {
      return removed;
    }
  }
  for (const std::string& source : report.sources_reset) {
    if (auto reset = reset_source(source); !reset) return reset;
  }
  return {};
}

Result<void> Eraser::reset_source(std::string_view source) {
  if (auto forgotten = states_.forget(source); !forgotten) return forgotten;
  return changes_.forget(source);
}

}  // namespace ferry::spool
