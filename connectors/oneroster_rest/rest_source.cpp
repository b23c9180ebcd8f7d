#include "connectors/oneroster_rest/rest_source.hpp"

#include <algorithm>
#include <functional>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/http/form.hpp"
#include "common/keys/key_age.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::connectors::oneroster_rest {
namespace {

constexpr int kPasses = 3;  // whole reads of a stream before it fails as inconsistent

bool is_tobedeleted(std::string_view status) {
  constexpr std::string_view kWord = "tobedeleted";
  return status.size() == kWord.size() &&
         std::equal(status.begin(), status.end(), kWord.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// A dateLastModified as a time: "2026-01-03T10:00:00.000Z", "2026-01-03T10:00:00Z", or a date
// alone ("2026-01-03", its midnight UTC). nullopt for anything else.
std::optional<env::WallTime> time_of(std::string_view text) {
  if (auto full = keys::parse_rfc3339(text)) return full;
  if (text.size() != 10) return std::nullopt;
  return keys::parse_rfc3339(std::string(text) + "T00:00:00Z");
}

}  // namespace

RestSource::RestSource(std::string name, std::unique_ptr<http_api::ApiSession> session,
                       std::vector<const Collection*> streams, std::int64_t page_size,
                       Deltas deltas, const env::Clock& clock, std::shared_ptr<spdlog::logger> log)
    : name_(std::move(name)),
      session_(std::move(session)),
      streams_(std::move(streams)),
      page_size_(page_size),
      deltas_(deltas),
      clock_(clock),
      log_(std::move(log)) {}

Result<std::vector<StreamInfo>> RestSource::streams() {
  std::vector<StreamInfo> infos;
  for (const Collection* collection : streams_) {
    StreamInfo& info = infos.emplace_back();
    info.name = collection->stream;
    info.key = "sourcedId";
    for (const http_api::JsonColumn& column : collection->columns) {
      info.columns.push_back(column.name);
    }
  }
  return infos;
}

Result<void> RestSource::check() {
  if (streams_.empty()) return {};
  const Collection& first = *streams_.front();
  const std::string url =
      http::with_query(session_->url(first.path), {{"limit", "1"}, {"offset", "0"}});
  return http_api::check_records(
      *session_, url, "/" + first.member, first.columns,
      fmt::format("is url of source '{}' the OneRoster service's base URL (ending in "
                  "/ims/oneroster/v1p1 or /ims/oneroster/rostering/v1p2)?",
                  name_));
}

http_api::PagedCollection RestSource::paged(const Collection& collection,
                                            const std::string& filter) const {
  const auto page_url = [this, &collection, filter](std::uint64_t at) {
    std::vector<http::Parameter> query = {{"limit", std::to_string(page_size_)},
                                          {"offset", std::to_string(at)}};
    if (!filter.empty()) query.emplace_back("filter", filter);
    return http::with_query(session_->url(collection.path), query);
  };
  http_api::PagedCollection paged;
  paged.stream = collection.stream;
  paged.records_path = "/" + collection.member;
  paged.columns = collection.columns;
  paged.count_header = "X-Total-Count";
  paged.first_url = page_url(0);
  paged.next = [this, page_url](const http::Response& answer, const std::string&,
                                std::uint64_t records, std::optional<std::uint64_t> count) {
    const auto link = answer.header("Link");
    std::string next = link ? http_api::next_link(*link) : std::string();
    if (next.starts_with('/')) next = session_->origin() + next;  // relative to the API (RFC 8288)
    if (!next.empty()) return next;
    // The end: the count is reached, or, without a count, an empty page. A short page alone is
    // not the end: services may cap the page size below what Ferry asks for.
    if (count && records >= *count) return std::string();
    return page_url(records);
  };
  return paged;
}

Result<std::string> RestSource::read(const ResumeState& state, RowSink& sink,
                                     std::stop_token stop) {
  auto infos = streams();
  if (!infos) return tl::unexpected(infos.error());
  bool cut_short = false;  // the sink had enough rows: not the whole data set
  const env::WallTime now = clock_.now();
  // Values that are not a time, or lie more than a day ahead (a clock or data error), do not
  // move the cursor: they would move it past changes still to come.
  const env::WallTime latest_allowed = now + std::chrono::hours(24);
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const Collection& collection = *streams_[i];
    const StreamState before = parse_stream_state(state.stream(collection.stream));
    // A delta read when deltas are on, the stream has a cursor, and its full read is not due.
    const auto full_at = keys::parse_rfc3339(before.full_at);
    // A full read stamped in the future (a clock set back since) is due now.
    const bool delta = deltas_.enabled && !before.cursor.empty() && full_at && *full_at <= now &&
                       now - *full_at < deltas_.full_read_every;
    std::string filter;
    if (delta) {
      const auto cursor = time_of(before.cursor);
      filter =
          fmt::format("dateLastModified>'{}'",
                      cursor ? keys::format_rfc3339(*cursor - deltas_.overlap) : before.cursor);
    }
    auto taken =
        sink.begin_stream((*infos)[i], delta ? StreamMode::kChanges : StreamMode::kSnapshot);
    if (!taken) return tl::unexpected(taken.error());
    if (!*taken) continue;
    // The newest dateLastModified handed over, as written, and as a time.
    std::string newest = before.cursor;
    std::optional<env::WallTime> newest_time = time_of(newest);
    std::vector<Value> values;  // every value as text, as the CSV binding writes it
    const auto on_record = [&](const std::vector<std::string>& texts, RowView,
                               std::uint64_t) -> Result<void> {
      values.resize(texts.size());
      for (std::size_t column = 0; column < texts.size(); ++column) {
        values[column] = Value::string(texts[column]);
      }
      if (const auto when = time_of(texts[2]);
          when && *when <= latest_allowed && (!newest_time || *when > *newest_time)) {
        newest_time = when;
        newest = texts[2];
      }
      const bool deleted = is_tobedeleted(texts[1]);
      // In a full read a record to be deleted is absent from the data set (deleted at the end);
      // in a delta read it is a delete of its own.
      if (deleted && !delta) return {};
      return sink.row(values, deleted ? RowOp::kDelete : RowOp::kUpsert);
    };
    auto outcome = http_api::read_paged(*session_, paged(collection, filter),
                                        static_cast<std::size_t>(page_size_), on_record, sink, stop,
                                        *log_, name_, kPasses);
    if (stop.stop_requested()) {
      return make_error(ErrorCode::kUnavailable, "source '{}': stopped", name_);
    }
    if (!outcome) {
      if (!http_api::stream_only(outcome.error())) return tl::unexpected(outcome.error());
      sink.stream_failed(collection.stream, outcome.error());
      continue;
    }
    if (outcome->end == http_api::PagedEnd::kEnough) {
      cut_short = true;
      if (auto ended = sink.end_stream(state.stream(collection.stream)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else if (outcome->end == http_api::PagedEnd::kConsistent) {
      StreamState after;
      after.cursor = newest;
      after.full_at = delta ? before.full_at : keys::format_rfc3339(now);
      if (auto ended = sink.end_stream(format_stream_state(after)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else if (delta) {
      // What a delta read handed over is true; only its cursor cannot move on, so the next run
      // asks again from where this one began.
      log_->warn("delta read kept its cursor source={} stream={}: {}", name_, collection.stream,
                 outcome->why);
      if (auto ended = sink.end_stream(state.stream(collection.stream)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else {
      sink.stream_failed(collection.stream,
                         http_api::inconsistent_read(collection.stream, kPasses, outcome->why));
    }
  }
  return cut_short ? state.source : std::string();
}

}  // namespace ferry::connectors::oneroster_rest
