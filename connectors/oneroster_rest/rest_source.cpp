#include "connectors/oneroster_rest/rest_source.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <unordered_set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/http/form.hpp"
#include "common/keys/key_age.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::connectors::oneroster_rest {
namespace {

constexpr int kPasses = 3;        // whole reads of a stream before it fails as inconsistent
constexpr int kPageAttempts = 3;  // reads of one page whose body was cut short

using Entry = std::pair<std::uint64_t, std::uint64_t>;  // hash of sourcedId, hash of the row

struct EntryHash {
  std::size_t operator()(const Entry& entry) const noexcept {
    return static_cast<std::size_t>(entry.first * 0x9E3779B97F4A7C15ULL ^ entry.second);
  }
};

std::uint64_t hash_text(std::string_view text, std::uint64_t seed) {
  // FNV-1a, 64 bits: quick, and only ever compared with hashes of the same run.
  std::uint64_t hash = 14695981039346656037ULL ^ seed;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::optional<std::uint64_t> total_count(const http::Response& response) {
  const auto header = response.header("X-Total-Count");
  if (!header) return std::nullopt;
  std::uint64_t total = 0;
  const auto parsed = std::from_chars(header->data(), header->data() + header->size(), total);
  if (parsed.ec != std::errc() || parsed.ptr != header->data() + header->size()) {
    return std::nullopt;
  }
  return total;
}

bool is_tobedeleted(std::string_view status) {
  constexpr std::string_view kWord = "tobedeleted";
  return status.size() == kWord.size() &&
         std::equal(status.begin(), status.end(), kWord.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Errors that concern one collection only (the API lacks it, the account may not read it, its
// JSON is not OneRoster's): the stream fails and the others are read. Anything else (credentials,
// rate limits, the API down, a stop) ends the read.
bool stream_only(const Error& error) {
  return error.code == ErrorCode::kNotFound || error.code == ErrorCode::kPermission ||
         error.code == ErrorCode::kCorrupt;
}

// A dateLastModified as a time: "2026-01-03T10:00:00.000Z", "2026-01-03T10:00:00Z", or a date
// alone ("2026-01-03", its midnight UTC). nullopt for anything else.
std::optional<env::WallTime> time_of(std::string_view text) {
  if (auto full = keys::parse_rfc3339(text)) return full;
  if (text.size() != 10) return std::nullopt;
  return keys::parse_rfc3339(std::string(text) + "T00:00:00Z");
}

}  // namespace

std::string next_link(std::string_view link) {
  // Link: <https://a/users?offset=10>; rel="next", <https://a/users?offset=0>; rel="first"
  while (!link.empty()) {
    const std::size_t open = link.find('<');
    if (open == std::string_view::npos) return {};
    const std::size_t close = link.find('>', open);
    if (close == std::string_view::npos) return {};
    const std::string_view target = link.substr(open + 1, close - open - 1);
    std::size_t end = link.find(',', close);
    const std::string_view params = link.substr(
        close + 1, end == std::string_view::npos ? std::string_view::npos : end - close - 1);
    std::string lowered(params);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    lowered.erase(std::remove(lowered.begin(), lowered.end(), ' '), lowered.end());
    if (lowered.find("rel=\"next\"") != std::string::npos ||
        lowered.find("rel=next") != std::string::npos) {
      return std::string(target);
    }
    if (end == std::string_view::npos) return {};
    link.remove_prefix(end + 1);
  }
  return {};
}

// The records handed over most recently, at least `half` and at most twice that many: a record
// that a shifted offset shows again on the next page is not handed over twice. Bounded whatever
// the page size (a service may answer a collection in one page).
class RecentEntries {
 public:
  explicit RecentEntries(std::size_t half) : half_(half) {}
  bool contains(const Entry& entry) const {
    return newer_.contains(entry) || older_.contains(entry);
  }
  void insert(const Entry& entry) {
    if (newer_.size() >= half_) {
      older_ = std::move(newer_);
      newer_.clear();
    }
    newer_.insert(entry);
  }

 private:
  std::size_t half_;
  std::unordered_set<Entry, EntryHash> newer_;
  std::unordered_set<Entry, EntryHash> older_;
};

struct RestSource::Pass {
  explicit Pass(std::size_t page_size) : recent(std::clamp<std::size_t>(page_size, 1000, 10000)) {}

  // Every record of this read: (sourcedId, row) hashes, for the duplicate check at its end.
  std::vector<Entry> seen;
  // Records handed over by earlier reads of this run, sorted: not handed over again unchanged.
  const std::vector<Entry>* handed_before = nullptr;
  RecentEntries recent;
  std::optional<std::uint64_t> first_total;
  std::uint64_t records = 0;  // of completed pages
  bool consistent = true;
  std::string why;      // why it is not
  bool enough = false;  // the sink needs no more rows (preview)
  bool delta = false;   // a delta read: "tobedeleted" records are deletes
  // The newest dateLastModified seen, as written, and as a time. Values that are not a time, or
  // lie more than a day ahead (a clock or data error), do not count: they would move the cursor
  // past changes still to come.
  std::string newest;
  std::optional<env::WallTime> newest_time;
  env::WallTime latest_allowed{};
  // The bad records of this read's completed pages: reported once, by the read that ends the
  // stream, not again by every page or whole read made again.
  std::vector<BadRow> bad;
};

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
  auto response = session_->get_whole(url, std::stop_token());
  if (!response) return tl::unexpected(response.error());
  auto reader = http_api::JsonRowReader::create(
      "/" + first.member, first.columns, [](RowView) -> Result<void> { return {}; },
      [](std::uint64_t, std::string) {});
  if (!reader) return tl::unexpected(reader.error());
  if (auto written = reader->write(response->body); !written) return written;
  if (auto finished = reader->finish(); !finished) return finished;
  if (!reader->saw_records_array()) {
    return make_error(ErrorCode::kCorrupt,
                      "{}: the answer has no \"{}\" array: is url of source '{}' the OneRoster "
                      "service's base URL (ending in /ims/oneroster/v1p1 or "
                      "/ims/oneroster/rostering/v1p2)?",
                      http::describe_request(boost::beast::http::verb::get, url), first.member,
                      name_);
  }
  return {};
}

Result<void> RestSource::read_pass(const Collection& collection, const std::string& filter,
                                   Pass& pass, RowSink& sink, const std::stop_token& stop) {
  std::vector<std::string> texts(collection.columns.size());
  std::vector<Value> values(collection.columns.size());
  std::string row_text;
  std::uint64_t offset = 0;
  const auto page_url = [&](std::uint64_t at) {
    std::vector<http::Parameter> query = {{"limit", std::to_string(page_size_)},
                                          {"offset", std::to_string(at)}};
    if (!filter.empty()) query.emplace_back("filter", filter);
    return http::with_query(session_->url(collection.path), query);
  };
  std::string url = page_url(0);
  std::size_t last_page_start = 0;  // the records of the page before, in pass.seen
  std::size_t last_page_size = 0;
  for (std::uint64_t page = 1;; ++page) {
    const std::size_t page_start = pass.seen.size();  // this page's records start there
    std::vector<Entry> cut;  // the records of an attempt whose body was cut short, in order
    std::uint64_t page_bad = 0;
    std::vector<BadRow> attempt_bad;
    std::optional<http::Response> answer;
    for (int attempt = 1; !answer; ++attempt) {
      page_bad = 0;
      const auto on_row = [&](RowView row) -> Result<void> {
        row_text.clear();
        for (std::size_t i = 0; i < row.size(); ++i) {
          texts[i].assign(row[i].text);
          values[i] = Value::string(texts[i]);
          row_text.append(texts[i]);
          row_text.push_back('\x1f');
        }
        const Entry entry{hash_text(texts[0], 1), hash_text(row_text, 2)};
        const std::size_t index = pass.seen.size() - page_start;
        pass.seen.push_back(entry);
        if (pass.enough) return {};
        // Handed over already: by the attempt cut short at this very place, a moment ago, or by
        // an earlier read of this run.
        if (index < cut.size() && cut[index] == entry) return {};
        if (pass.recent.contains(entry)) return {};
        if (pass.handed_before != nullptr &&
            std::binary_search(pass.handed_before->begin(), pass.handed_before->end(), entry)) {
          return {};
        }
        if (const auto when = time_of(texts[2]); when && *when <= pass.latest_allowed &&
                                                 (!pass.newest_time || *when > *pass.newest_time)) {
          pass.newest_time = when;
          pass.newest = texts[2];
        }
        const bool deleted = is_tobedeleted(texts[1]);
        // In a full read a record to be deleted is absent from the data set (deleted at the end);
        // in a delta read it is a delete of its own.
        if (!deleted || pass.delta) {
          auto handed = sink.row(values, deleted ? RowOp::kDelete : RowOp::kUpsert);
          if (!handed) return handed;
        }
        pass.recent.insert(entry);
        if (sink.enough_rows()) pass.enough = true;
        return {};
      };
      attempt_bad.clear();
      const auto on_bad = [&](std::uint64_t index, std::string reason) {
        ++page_bad;
        attempt_bad.push_back(BadRow{
            collection.stream, fmt::format("{} record {}", collection.stream, offset + index + 1),
            std::move(reason)});
      };
      auto reader = http_api::JsonRowReader::create("/" + collection.member, collection.columns,
                                                    on_row, on_bad);
      if (!reader) return tl::unexpected(reader.error());
      http::SendReport report;
      bool reader_failed = false;  // the JSON or the sink failed, not the connection
      auto response = session_->get(
          url,
          [&](std::string_view piece) {
            auto written = reader->write(piece);
            if (!written) reader_failed = true;
            return written;
          },
          stop, &report);
      if (!response) {
        if (!reader_failed && report.body_bytes > 0 && attempt < kPageAttempts &&
            !stop.stop_requested()) {
          log_->warn("page read again source={} stream={} page={}: {}", name_, collection.stream,
                     page, response.error().message);
          if (pass.seen.size() - page_start > cut.size()) {
            cut.assign(pass.seen.begin() + static_cast<std::ptrdiff_t>(page_start),
                       pass.seen.end());
          }
          pass.seen.resize(page_start);
          continue;
        }
        return tl::unexpected(response.error());
      }
      if (auto finished = reader->finish(); !finished) {
        return with_context(finished.error(),
                            http::describe_request(boost::beast::http::verb::get, url));
      }
      if (!reader->saw_records_array()) {
        return make_error(ErrorCode::kCorrupt, "{}: the answer has no \"{}\" array",
                          http::describe_request(boost::beast::http::verb::get, url),
                          collection.member);
      }
      answer = std::move(*response);
    }
    for (BadRow& bad : attempt_bad) pass.bad.push_back(std::move(bad));
    const std::uint64_t page_records = (pass.seen.size() - page_start) + page_bad;
    pass.records += page_records;
    const auto total = total_count(*answer);
    if (page == 1) {
      pass.first_total = total;
      // One allocation for the whole read rather than a doubling vector (twice the memory at its
      // peak); capped, as the count comes from the server.
      if (total) pass.seen.reserve(std::min<std::uint64_t>(*total, 1U << 20) + 64);
    }
    // A count that changes between pages; a page without the header leaves it unknown.
    if (total && pass.first_total && *total != *pass.first_total && pass.consistent) {
      pass.consistent = false;
      pass.why = fmt::format("X-Total-Count went from {} to {} during the read", *pass.first_total,
                             *total);
    }
    if (pass.enough || page_records == 0) break;
    // The same records as the page before: the service ignores the offset (or its Link points
    // back); going on would never end.
    const std::size_t this_page = pass.seen.size() - page_start;
    const bool repeated =
        this_page > 0 && this_page == last_page_size &&
        std::equal(pass.seen.begin() + static_cast<std::ptrdiff_t>(page_start), pass.seen.end(),
                   pass.seen.begin() + static_cast<std::ptrdiff_t>(last_page_start));
    if (repeated) {
      pass.consistent = false;
      pass.why = "the service gave the same page twice (does it ignore offset?)";
      break;
    }
    last_page_start = page_start;
    last_page_size = this_page;
    offset += page_records;
    const auto link = answer->header("Link");
    std::string next = link ? next_link(*link) : std::string();
    if (next.starts_with('/')) next = session_->origin() + next;  // relative to the API (RFC 8288)
    if (!next.empty() && next == url) {
      return make_error(ErrorCode::kCorrupt, "{}: the Link to the next page points to this page",
                        http::describe_request(boost::beast::http::verb::get, url));
    }
    if (!next.empty()) {
      url = std::move(next);
      continue;
    }
    // The end: the count is reached, or, without a count, an empty page. A short page alone is
    // not the end: services may cap the page size below what Ferry asks for.
    if (pass.first_total && offset >= *pass.first_total) break;
    url = page_url(offset);
  }
  if (pass.enough) return {};
  // Sorted by sourcedId hash first: a key that came twice has neighbours with the same one.
  std::sort(pass.seen.begin(), pass.seen.end());
  const auto same_key = [](const Entry& a, const Entry& b) { return a.first == b.first; };
  if (pass.consistent &&
      std::adjacent_find(pass.seen.begin(), pass.seen.end(), same_key) != pass.seen.end()) {
    pass.consistent = false;
    pass.why = "a record came twice (the data moved between pages)";
  }
  if (pass.consistent && pass.first_total && pass.records != *pass.first_total) {
    pass.consistent = false;
    pass.why =
        fmt::format("{} records came where X-Total-Count said {}", pass.records, *pass.first_total);
  }
  return {};
}

Result<std::string> RestSource::read(const ResumeState& state, RowSink& sink,
                                     std::stop_token stop) {
  auto infos = streams();
  if (!infos) return tl::unexpected(infos.error());
  bool cut_short = false;  // the sink had enough rows: not the whole data set
  const env::WallTime now = clock_.now();
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const Collection& collection = *streams_[i];
    const StreamState before = parse_stream_state(state.stream(collection.stream));
    // A delta read when deltas are on, the stream has a cursor, and its full read is not due.
    const auto full_at = keys::parse_rfc3339(before.full_at);
    const bool delta = deltas_.enabled && !before.cursor.empty() && full_at &&
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
    std::vector<Entry> handed;  // by the reads so far, sorted
    bool done = false;
    std::string why;
    std::string newest = before.cursor;
    for (int read = 1; read <= kPasses && !done; ++read) {
      Pass pass(static_cast<std::size_t>(page_size_));
      pass.delta = delta;
      pass.latest_allowed = now + std::chrono::hours(24);
      pass.handed_before = read > 1 ? &handed : nullptr;
      auto passed = read_pass(collection, filter, pass, sink, stop);
      if (stop.stop_requested()) {
        return make_error(ErrorCode::kUnavailable, "source '{}': stopped", name_);
      }
      if (!passed) {
        if (!stream_only(passed.error())) return tl::unexpected(passed.error());
        sink.stream_failed(collection.stream, passed.error());
        why.clear();
        done = true;
        break;
      }
      if (pass.newest_time && (!time_of(newest) || *pass.newest_time > *time_of(newest))) {
        newest = pass.newest;
      }
      // The read that ends the stream (whole, cut short by the sink, or the last) reports its
      // bad records; an earlier one's are the same records again.
      if (pass.enough || pass.consistent || read == kPasses) {
        for (const BadRow& bad : pass.bad) sink.bad_row(bad);
      }
      if (pass.enough) {
        cut_short = true;
        if (auto ended = sink.end_stream(state.stream(collection.stream)); !ended) {
          return tl::unexpected(ended.error());
        }
        done = true;
        break;
      }
      if (pass.consistent) {
        StreamState after;
        after.cursor = newest;
        after.full_at = delta ? before.full_at : keys::format_rfc3339(now);
        if (auto ended = sink.end_stream(format_stream_state(after)); !ended) {
          return tl::unexpected(ended.error());
        }
        done = true;
        break;
      }
      why = pass.why;
      log_->warn("stream read again source={} stream={} read={}: {}", name_, collection.stream,
                 read, why);
      const auto middle = handed.insert(handed.end(), pass.seen.begin(), pass.seen.end());
      std::inplace_merge(handed.begin(), middle, handed.end());  // both halves sorted
      handed.erase(std::unique(handed.begin(), handed.end()), handed.end());
    }
    if (!done && delta) {
      // What a delta read handed over is true; only its cursor cannot move on, so the next run
      // asks again from where this one began.
      log_->warn("delta read kept its cursor source={} stream={}: {}", name_, collection.stream,
                 why);
      if (auto ended = sink.end_stream(state.stream(collection.stream)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else if (!done) {
      sink.stream_failed(
          collection.stream,
          Error{ErrorCode::kUnavailable,
                fmt::format("{} was read {} times and changed during each read ({}): no deletes "
                            "are sent for it this run; it is read again at the next run",
                            collection.stream, kPasses, why)});
    }
  }
  return cut_short ? state.source : std::string();
}

StreamState parse_stream_state(std::string_view text) {
  StreamState state;
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object()) return state;
  const auto text_of = [&](std::string_view key) {
    const auto* value = parsed.as_object().if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  state.cursor = text_of("cursor");
  state.full_at = text_of("full_at");
  return state;
}

std::string format_stream_state(const StreamState& state) {
  boost::json::object object;
  object["cursor"] = state.cursor;
  object["full_at"] = state.full_at;
  return boost::json::serialize(object);
}

}  // namespace ferry::connectors::oneroster_rest
