// The Source of a Canvas LMS account (docs/connectors/canvas.md).
//
// Streams are those of the table (streams.hpp) that the source's policy names, in the table's
// order, each keyed by Canvas's `id`. Account streams (users, courses) are one listing of
// accounts/<account>/...; course streams (sections, enrollments, assignments, submissions) are
// one listing per course of the account, the courses being listed first (Canvas has no
// account-wide listing of them). Every listing follows the Link header's rel="next" (Canvas pages
// by bookmarks: the URLs are opaque), `per_page` records a page.
//
// Every stream is a snapshot (what Canvas no longer lists was deleted), except submissions with
// deltas on: between two full reads (one each `full_read_every`), a run reads only the
// submissions submitted or graded after the stream's cursor less `delta_overlap`
// (submitted_since, graded_since: two listings per course), as changes. Its state is
// {"cursor": newest submitted_at or graded_at handed over, "full_at": when its last full read
// began}.
//
// Throttling: Canvas's 403 "Rate Limit Exceeded" (and 429) is waited out and the request made
// again, and the source slows down as X-Rate-Limit-Remaining falls (ApiDialect): a throttled
// source is slower, not failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/env/clock.hpp"
#include "connectors/api/source.hpp"
#include "connectors/canvas/streams.hpp"
#include "connectors/http_api/api_session.hpp"
#include "connectors/http_api/cursor_state.hpp"
#include "connectors/http_api/paged_read.hpp"

namespace ferry::connectors::canvas {

struct CanvasOptions {
  std::string account = "self";  // an account id, "sis_account_id:X", or "self"
  std::int64_t page_size = 100;  // per_page; Canvas gives at most 100
  bool deltas = true;            // submissions read by submitted_since/graded_since
  std::chrono::milliseconds full_read_every = std::chrono::hours(24 * 7);
  std::chrono::milliseconds delta_overlap = std::chrono::minutes(5);
};

// The submissions stream's resume state: {"cursor": newest submitted_at or graded_at handed
// over, "full_at": ...}.
using StreamState = http_api::CursorState;
inline constexpr auto parse_stream_state = http_api::parse_cursor_state;
inline constexpr auto format_stream_state = http_api::format_cursor_state;

class CanvasSource final : public Source {
 public:
  CanvasSource(std::string name, std::unique_ptr<http_api::ApiSession> session,
               std::vector<const CanvasStream*> streams, CanvasOptions options,
               const env::Clock& clock, std::shared_ptr<spdlog::logger> log);

  Result<std::vector<StreamInfo>> streams() override;
  // One course of the account: reachability, TLS, the token, and the account.
  Result<void> check() override;
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

 private:
  // The ids of the account's courses (every state but deleted).
  Result<std::vector<std::string>> course_ids(const std::stop_token& stop);
  // A listing of `path` (below the API's /api/v1) with `query`, page by page.
  http_api::PagedCollection listing(const CanvasStream& stream, const std::string& path,
                                    std::vector<std::string> query) const;

  std::string name_;
  std::unique_ptr<http_api::ApiSession> session_;
  std::vector<const CanvasStream*> streams_;
  CanvasOptions options_;
  const env::Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace ferry::connectors::canvas
