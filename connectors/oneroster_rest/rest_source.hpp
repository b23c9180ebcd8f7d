// The Source of a OneRoster REST service (docs/connectors/oneroster_rest.md).
//
// Streams are the collections (collections.hpp) that the source's policy names, in the table's
// order, read page by page with `limit`/`offset`, or the `Link: <...>; rel="next"` the API gives.
// A full read is a kSnapshot stream (a key sent before and absent now was deleted; a record with
// status "tobedeleted" counts as absent). With deltas on, the runs between two full reads (one
// each `full_read_every`) are delta reads: kChanges streams of the records with
// dateLastModified after the stream's cursor less `delta_overlap`
// (`filter=dateLastModified>'...'`), a record "tobedeleted" being a delete. A stream's state is
// {"cursor": newest dateLastModified seen, "full_at": when its last full read began}. Every value
// is handed over as text, as the CSV binding writes it: absent and null are "", true and false and
// numbers their JSON text, lists joined with ','.
//
// Offset paging over data that changes can skip a record, which a snapshot would then take for
// deleted. A read is consistent when X-Total-Count (if the API sends it) stays the same on every
// page, no sourcedId comes twice, and the records add up to that count. An inconsistent read is
// made again (at most three reads); a record handed over by an earlier read of the same run and
// unchanged is not handed over again. A stream with no consistent read fails (no deletes; its
// rows come again next run).
//
// Memory: a page is parsed as it arrives (JsonRowReader); what the source keeps per stream is two
// 8-byte hashes per record (sourcedId, content) for the consistency check, and a window of the
// last 1,000 to 20,000 records handed over (RecentEntries), whatever the page size.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/env/clock.hpp"
#include "connectors/api/source.hpp"
#include "connectors/http_api/api_session.hpp"
#include "connectors/http_api/cursor_state.hpp"
#include "connectors/http_api/paged_read.hpp"
#include "connectors/oneroster_rest/collections.hpp"

namespace ferry::connectors::oneroster_rest {

struct Deltas {
  bool enabled = false;
  std::chrono::milliseconds full_read_every = std::chrono::hours(24);
  std::chrono::milliseconds overlap = std::chrono::minutes(5);
};

class RestSource final : public Source {
 public:
  // `streams`: the collections to read; `page_size`: the `limit` of each request. `clock`
  // (which outlives the source) decides when a full read is due.
  RestSource(std::string name, std::unique_ptr<http_api::ApiSession> session,
             std::vector<const Collection*> streams, std::int64_t page_size, Deltas deltas,
             const env::Clock& clock, std::shared_ptr<spdlog::logger> log);

  Result<std::vector<StreamInfo>> streams() override;
  // One request of one record from the first collection: reachability, TLS, credentials.
  Result<void> check() override;
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

 private:
  // The paging of `collection`; `filter`: the value of `filter=` for a delta read, "" for a full
  // read.
  http_api::PagedCollection paged(const Collection& collection, const std::string& filter) const;

  std::string name_;
  std::unique_ptr<http_api::ApiSession> session_;
  std::vector<const Collection*> streams_;
  std::int64_t page_size_;
  Deltas deltas_;
  const env::Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
};

// A stream's resume state: {"cursor": newest dateLastModified handed over, "full_at": ...}.
using StreamState = http_api::CursorState;
inline constexpr auto parse_stream_state = http_api::parse_cursor_state;
inline constexpr auto format_stream_state = http_api::format_cursor_state;

}  // namespace ferry::connectors::oneroster_rest
