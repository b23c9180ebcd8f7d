#include "connectors/canvas/canvas_source.hpp"

#include <algorithm>
#include <unordered_set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/http/form.hpp"
#include "common/keys/key_age.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::connectors::canvas {
namespace {

constexpr int kPasses = 3;  // whole reads of a listing before it counts as inconsistent

// A sink for listings that only gather values (the course ids): it takes no row.
class GatherSink final : public RowSink {
 public:
  Result<bool> begin_stream(const StreamInfo&, StreamMode) override { return true; }
  Result<void> row(RowView, RowOp) override { return {}; }
  void bad_row(const BadRow&) override {}
  Result<void> end_stream(std::string_view) override { return {}; }
  Result<void> checkpoint(std::string_view) override { return {}; }
  void stream_failed(std::string_view, const Error&) override {}
};

}  // namespace

CanvasSource::CanvasSource(std::string name, std::unique_ptr<http_api::ApiSession> session,
                           std::vector<const CanvasStream*> streams, CanvasOptions options,
                           const env::Clock& clock, std::shared_ptr<spdlog::logger> log)
    : name_(std::move(name)),
      session_(std::move(session)),
      streams_(std::move(streams)),
      options_(std::move(options)),
      clock_(clock),
      log_(std::move(log)) {}

Result<std::vector<StreamInfo>> CanvasSource::streams() {
  std::vector<StreamInfo> infos;
  for (const CanvasStream* stream : streams_) {
    StreamInfo& info = infos.emplace_back();
    info.name = stream->stream;
    info.key = "id";
    for (const StreamColumn& column : stream->columns) info.columns.push_back(column.name);
  }
  return infos;
}

http_api::PagedCollection CanvasSource::listing(const CanvasStream& stream, const std::string& path,
                                                std::vector<std::string> query) const {
  // url may be the Canvas address or its API root.
  const std::string prefix = session_->base_url().ends_with("/api/v1") ? "" : "api/v1/";
  std::vector<http::Parameter> parameters;
  for (const std::string& each : query) {
    const std::size_t equals = each.find('=');
    parameters.emplace_back(each.substr(0, equals),
                            equals == std::string::npos ? "" : each.substr(equals + 1));
  }
  parameters.emplace_back("per_page", std::to_string(options_.page_size));
  http_api::PagedCollection paged;
  paged.stream = stream.stream;
  paged.records_path = "";
  for (const StreamColumn& column : stream.columns) {
    paged.columns.push_back({column.name, column.path, false});
  }
  paged.first_url = http::with_query(session_->url(prefix + path), parameters);
  paged.next = [this](const http::Response& answer, const std::string&, std::uint64_t,
                      std::optional<std::uint64_t>) {
    const auto link = answer.header("Link");
    std::string next = link ? http_api::next_link(*link) : std::string();
    if (next.starts_with('/')) next = session_->origin() + next;  // relative to the API
    return next;
  };
  return paged;
}

Result<std::vector<std::string>> CanvasSource::course_ids(const std::stop_token& stop) {
  static const CanvasStream kIds{"courses", Scope::kAccount, "courses", {}, {{"id", "/id", {}}}};
  std::vector<std::string> ids;
  GatherSink sink;
  const auto gather = [&](const std::vector<std::string>& texts, RowView,
                          std::uint64_t) -> Result<void> {
    ids.push_back(texts[0]);
    return {};
  };
  auto outcome = http_api::read_paged(
      *session_, listing(kIds, fmt::format("accounts/{}/courses", options_.account), {}),
      static_cast<std::size_t>(options_.page_size), gather, sink, stop, *log_, name_, kPasses);
  if (!outcome) return tl::unexpected(outcome.error());
  if (outcome->end != http_api::PagedEnd::kConsistent) {
    // A course missed would look deleted, with everything of it.
    return tl::unexpected(
        http_api::inconsistent_read("the account's courses", kPasses, outcome->why));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Result<void> CanvasSource::check() {
  static const CanvasStream kOne{"courses", Scope::kAccount, "courses", {}, {{"id", "/id", {}}}};
  auto paged = listing(kOne, fmt::format("accounts/{}/courses", options_.account), {});
  const std::string url =
      http::with_query(paged.first_url.substr(0, paged.first_url.find('?')), {{"per_page", "1"}});
  return http_api::check_records(
      *session_, url, "", paged.columns,
      fmt::format("is url of source '{}' the Canvas address (https://<district>.instructure.com)?",
                  name_));
}

Result<std::string> CanvasSource::read(const ResumeState& state, RowSink& sink,
                                       std::stop_token stop) {
  auto infos = streams();
  if (!infos) return tl::unexpected(infos.error());
  bool cut_short = false;  // the sink had enough rows: not the whole data set
  const env::WallTime now = clock_.now();
  const env::WallTime latest_allowed = now + std::chrono::hours(24);
  std::optional<std::vector<std::string>> courses;  // listed at the first course stream
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const CanvasStream& stream = *streams_[i];
    const bool submissions = stream.stream == "submissions";
    const StreamState before = parse_stream_state(state.stream(stream.stream));
    const auto full_at = keys::parse_rfc3339(before.full_at);
    const auto cursor_time = keys::parse_rfc3339(before.cursor);
    // A full read stamped in the future (a clock set back since) is due now.
    const bool delta = submissions && options_.deltas && cursor_time && full_at &&
                       *full_at <= now && now - *full_at < options_.full_read_every;
    auto taken =
        sink.begin_stream((*infos)[i], delta ? StreamMode::kChanges : StreamMode::kSnapshot);
    if (!taken) return tl::unexpected(taken.error());
    if (!*taken) continue;

    // The newest submitted_at or graded_at handed over (submissions), as written and as a time.
    std::string newest = before.cursor;
    std::optional<env::WallTime> newest_time = cursor_time;
    std::vector<std::size_t> time_columns;
    for (std::size_t c = 0; c < stream.columns.size(); ++c) {
      if (stream.columns[c].name == "submitted_at" || stream.columns[c].name == "graded_at") {
        time_columns.push_back(c);
      }
    }
    // A delta read lists a course's submissions twice (submitted since, graded since): one
    // submitted and graded since the cursor comes in both, and is handed over once.
    std::unordered_set<std::string> in_course;
    std::string row_text;
    const auto on_record = [&](const std::vector<std::string>& texts, RowView values,
                               std::uint64_t) -> Result<void> {
      if (delta) {
        row_text.clear();
        for (const std::string& text : texts) {
          row_text.append(text);
          row_text.push_back('\x1f');
        }
        if (!in_course.insert(row_text).second) return {};
      }
      if (submissions) {
        for (const std::size_t c : time_columns) {
          const auto when = keys::parse_rfc3339(texts[c]);
          if (when && *when <= latest_allowed && (!newest_time || *when > *newest_time)) {
            newest_time = when;
            newest = texts[c];
          }
        }
      }
      return sink.row(values, RowOp::kUpsert);
    };

    // The listings of this stream: one, or one per course (with deltas, two per course).
    std::vector<std::pair<std::string, std::vector<std::string>>> listings;
    if (stream.scope == Scope::kAccount) {
      listings.emplace_back(fmt::format("accounts/{}/{}", options_.account, stream.path),
                            stream.query);
    } else {
      if (!courses) {
        auto listed = course_ids(stop);
        if (!listed) {
          if (stop.stop_requested()) {
            return make_error(ErrorCode::kUnavailable, "source '{}': stopped", name_);
          }
          if (!http_api::stream_only(listed.error())) return tl::unexpected(listed.error());
          sink.stream_failed(stream.stream,
                             with_context(listed.error(), "listing the account's courses").value());
          continue;
        }
        courses = std::move(*listed);
      }
      const std::string since =
          delta ? keys::format_rfc3339(*cursor_time - options_.delta_overlap) : std::string();
      for (const std::string& course : *courses) {
        const std::string path = fmt::format("courses/{}/{}", course, stream.path);
        if (!delta) {
          listings.emplace_back(path, stream.query);
          continue;
        }
        for (const char* filter : {"submitted_since", "graded_since"}) {
          std::vector<std::string> query = stream.query;
          query.push_back(fmt::format("{}={}", filter, since));
          listings.emplace_back(path, std::move(query));
        }
      }
    }

    std::optional<Error> failed;
    http_api::PagedOutcome outcome;
    std::string last_path;
    for (const auto& [path, query] : listings) {
      if (path != last_path) in_course.clear();
      last_path = path;
      auto read = http_api::read_paged(*session_, listing(stream, path, query),
                                       static_cast<std::size_t>(options_.page_size), on_record,
                                       sink, stop, *log_, name_, kPasses);
      if (stop.stop_requested()) {
        return make_error(ErrorCode::kUnavailable, "source '{}': stopped", name_);
      }
      if (!read) {
        // A course deleted since the courses were listed: nothing of it is there any more.
        if (stream.scope == Scope::kCourse && read.error().code == ErrorCode::kNotFound) {
          log_->debug("course gone since it was listed source={} stream={} path={}", name_,
                      stream.stream, path);
          continue;
        }
        failed = read.error();
        break;
      }
      if (read->end != http_api::PagedEnd::kConsistent) {
        outcome = *read;
        break;
      }
    }
    if (failed) {
      if (!http_api::stream_only(*failed)) return tl::unexpected(*failed);
      sink.stream_failed(stream.stream, *failed);
      continue;
    }
    if (outcome.end == http_api::PagedEnd::kEnough) {
      cut_short = true;
      if (auto ended = sink.end_stream(state.stream(stream.stream)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else if (outcome.end == http_api::PagedEnd::kConsistent) {
      StreamState after;
      if (submissions) {
        after.cursor = newest;
        after.full_at = delta ? before.full_at : keys::format_rfc3339(now);
      }
      if (auto ended = sink.end_stream(submissions ? format_stream_state(after) : std::string());
          !ended) {
        return tl::unexpected(ended.error());
      }
    } else if (delta) {
      log_->warn("delta read kept its cursor source={} stream={}: {}", name_, stream.stream,
                 outcome.why);
      if (auto ended = sink.end_stream(state.stream(stream.stream)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else {
      sink.stream_failed(stream.stream,
                         http_api::inconsistent_read(stream.stream, kPasses, outcome.why));
    }
  }
  return cut_short ? state.source : std::string();
}

}  // namespace ferry::connectors::canvas
