#include "connectors/http_api/paged_read.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

namespace ferry::connectors::http_api {
namespace {

constexpr int kPageAttempts = 3;  // reads of one page whose body was cut short

using Entry = std::pair<std::uint64_t, std::uint64_t>;  // hash of the key, hash of the row

struct EntryHash {
  std::size_t operator()(const Entry& entry) const noexcept {
    return static_cast<std::size_t>(entry.first * 0x9E3779B97F4A7C15ULL ^ entry.second);
  }
};

std::uint64_t hash_text(std::string_view text, std::uint64_t seed) {
  // FNV-1a, 64 bits: quick, and only ever compared with hashes of the same call.
  std::uint64_t hash = 14695981039346656037ULL ^ seed;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// The records handed over most recently, at least `half` and at most twice that many: a record
// that a shifted offset shows again on the next page is not handed over twice. Bounded whatever
// the page size (an API may answer a collection in one page).
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

// One whole read.
struct Pass {
  explicit Pass(std::size_t page_size) : recent(std::clamp<std::size_t>(page_size, 1000, 10000)) {}

  // Every record of this read: (key, row) hashes, for the duplicate check at its end.
  std::vector<Entry> seen;
  // Records handed over by earlier reads of this call, sorted: not handed over again unchanged.
  const std::vector<Entry>* handed_before = nullptr;
  RecentEntries recent;
  std::optional<std::uint64_t> first_count;
  std::uint64_t records = 0;  // of completed pages
  bool consistent = true;
  std::string why;      // why it is not
  bool enough = false;  // the sink needs no more rows (preview)
  // The bad records of this read's completed pages.
  std::vector<BadRow> bad;
};

std::string describe_get(const std::string& url) {
  return http::describe_request(boost::beast::http::verb::get, url);
}

Result<void> read_pass(ApiSession& session, const PagedCollection& collection,
                       const RecordHandler& on_record, Pass& pass, RowSink& sink,
                       const std::stop_token& stop, spdlog::logger& log, std::string_view source) {
  std::vector<std::string> texts(collection.columns.size());
  std::vector<Value> values(collection.columns.size());
  std::string row_text;
  std::string url = collection.first_url;
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
        std::size_t key_end = 0;  // the key columns' text in row_text
        for (std::size_t i = 0; i < row.size(); ++i) {
          texts[i].assign(row[i].text);
          values[i] = Value{row[i].type, texts[i]};
          row_text.append(texts[i]);
          row_text.push_back('\x1f');
          if (i + 1 == collection.key_columns) key_end = row_text.size();
        }
        const std::size_t index = pass.seen.size() - page_start;
        if (key_end == collection.key_columns) {
          // Every key column empty: nothing identifies the record (and two such records would
          // look like one record twice). A bad record, as one of the wrong shape.
          attempt_bad.push_back(BadRow{
              collection.stream,
              fmt::format("{} record {}", collection.stream, pass.records + index + page_bad + 1),
              fmt::format("the record has no {}", collection.columns.front().name)});
          ++page_bad;
          return {};
        }
        const Entry entry{hash_text(std::string_view(row_text).substr(0, key_end), 1),
                          hash_text(row_text, 2)};
        pass.seen.push_back(entry);
        if (pass.enough) return {};
        // Handed over already: by the attempt cut short at this very place, a moment ago, or by
        // an earlier read of this call.
        if (index < cut.size() && cut[index] == entry) return {};
        if (pass.recent.contains(entry)) return {};
        if (pass.handed_before != nullptr &&
            std::binary_search(pass.handed_before->begin(), pass.handed_before->end(), entry)) {
          return {};
        }
        if (auto handed = on_record(texts, values, pass.records + index + page_bad + 1); !handed) {
          return handed;
        }
        pass.recent.insert(entry);
        if (sink.enough_rows()) pass.enough = true;
        return {};
      };
      attempt_bad.clear();
      const std::uint64_t offset = pass.records;
      const auto on_bad = [&](std::uint64_t index, std::string reason) {
        ++page_bad;
        attempt_bad.push_back(BadRow{
            collection.stream, fmt::format("{} record {}", collection.stream, offset + index + 1),
            std::move(reason)});
      };
      auto reader =
          JsonRowReader::create(collection.records_path, collection.columns, on_row, on_bad);
      if (!reader) return tl::unexpected(reader.error());
      http::SendReport report;
      bool reader_failed = false;  // the JSON or the sink failed, not the connection
      auto response = session.get(
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
          log.warn("page read again source={} stream={} page={}: {}", source, collection.stream,
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
        return with_context(finished.error(), describe_get(url));
      }
      if (!reader->saw_records_array()) {
        if (collection.records_path.empty()) {
          return make_error(ErrorCode::kCorrupt, "{}: the answer is not a JSON array of records",
                            describe_get(url));
        }
        return make_error(ErrorCode::kCorrupt, "{}: the answer has no \"{}\" array",
                          describe_get(url), collection.records_path.substr(1));
      }
      answer = std::move(*response);
    }
    for (BadRow& bad : attempt_bad) pass.bad.push_back(std::move(bad));
    const std::uint64_t page_records = (pass.seen.size() - page_start) + page_bad;
    pass.records += page_records;
    const auto count = collection.count_header.empty()
                           ? std::nullopt
                           : count_header(*answer, collection.count_header);
    if (page == 1) {
      pass.first_count = count;
      // One allocation for the whole read rather than a doubling vector (twice the memory at its
      // peak); capped, as the count comes from the server.
      if (count) pass.seen.reserve(std::min<std::uint64_t>(*count, 1U << 20) + 64);
    }
    // A count that changes between pages; a page without the header leaves it unknown.
    if (count && pass.first_count && *count != *pass.first_count && pass.consistent) {
      pass.consistent = false;
      pass.why = fmt::format("{} went from {} to {} during the read", collection.count_header,
                             *pass.first_count, *count);
    }
    if (pass.enough || page_records == 0) break;
    // The same records as the page before: the API ignores the offset (or its next link points
    // back); going on would never end.
    const std::size_t this_page = pass.seen.size() - page_start;
    const bool repeated =
        this_page > 0 && this_page == last_page_size &&
        std::equal(pass.seen.begin() + static_cast<std::ptrdiff_t>(page_start), pass.seen.end(),
                   pass.seen.begin() + static_cast<std::ptrdiff_t>(last_page_start));
    if (repeated) {
      pass.consistent = false;
      pass.why = "the API gave the same page twice (does it ignore the offset?)";
      break;
    }
    last_page_start = page_start;
    last_page_size = this_page;
    std::string next = collection.next(*answer, url, pass.records, pass.first_count);
    if (next.empty()) break;
    if (next == url) {
      return make_error(ErrorCode::kCorrupt, "{}: the link to the next page points to this page",
                        describe_get(url));
    }
    url = std::move(next);
  }
  if (pass.enough) return {};
  // Sorted by key hash first: a key that came twice has neighbours with the same one.
  std::sort(pass.seen.begin(), pass.seen.end());
  const auto same_key = [](const Entry& a, const Entry& b) { return a.first == b.first; };
  if (pass.consistent &&
      std::adjacent_find(pass.seen.begin(), pass.seen.end(), same_key) != pass.seen.end()) {
    pass.consistent = false;
    pass.why = "a record came twice (the data moved between pages)";
  }
  if (pass.consistent && pass.first_count && pass.records != *pass.first_count) {
    pass.consistent = false;
    pass.why = fmt::format("{} records came where {} said {}", pass.records,
                           collection.count_header, *pass.first_count);
  }
  return {};
}

}  // namespace

Result<PagedOutcome> read_paged(ApiSession& session, const PagedCollection& collection,
                                std::size_t page_size, const RecordHandler& on_record,
                                RowSink& sink, const std::stop_token& stop, spdlog::logger& log,
                                std::string_view source, int passes) {
  std::vector<Entry> handed;  // by the reads so far, sorted
  PagedOutcome outcome;
  for (int read = 1; read <= passes; ++read) {
    Pass pass(page_size);
    pass.handed_before = read > 1 ? &handed : nullptr;
    if (auto passed = read_pass(session, collection, on_record, pass, sink, stop, log, source);
        !passed) {
      return tl::unexpected(passed.error());
    }
    // The read that ends the call (whole, cut short by the sink, or the last) reports its bad
    // records; an earlier one's are the same records again.
    if (pass.enough || pass.consistent || read == passes) {
      for (const BadRow& bad : pass.bad) sink.bad_row(bad);
    }
    if (pass.enough) return PagedOutcome{PagedEnd::kEnough, {}};
    if (pass.consistent) return PagedOutcome{PagedEnd::kConsistent, {}};
    outcome = PagedOutcome{PagedEnd::kInconsistent, pass.why};
    if (read < passes) {
      log.warn("stream read again source={} stream={} read={}: {}", source, collection.stream, read,
               pass.why);
    }
    const auto middle = handed.insert(handed.end(), pass.seen.begin(), pass.seen.end());
    std::inplace_merge(handed.begin(), middle, handed.end());  // both halves sorted
    handed.erase(std::unique(handed.begin(), handed.end()), handed.end());
  }
  return outcome;
}

Result<void> check_records(ApiSession& session, const std::string& url,
                           const std::string& records_path, const std::vector<JsonColumn>& columns,
                           std::string_view hint) {
  auto response = session.get_whole(url, std::stop_token());
  if (!response) return tl::unexpected(response.error());
  auto reader = JsonRowReader::create(
      records_path, columns, [](RowView) -> Result<void> { return {}; },
      [](std::uint64_t, std::string) {});
  if (!reader) return tl::unexpected(reader.error());
  if (auto written = reader->write(response->body); !written) return written;
  if (auto finished = reader->finish(); !finished) return finished;
  if (reader->saw_records_array()) return {};
  if (records_path.empty()) {
    return make_error(ErrorCode::kCorrupt, "{}: the answer is not a JSON array of records: {}",
                      describe_get(url), hint);
  }
  return make_error(ErrorCode::kCorrupt, "{}: the answer has no \"{}\" array: {}",
                    describe_get(url), records_path.substr(1), hint);
}

Error inconsistent_read(std::string_view stream, int passes, std::string_view why) {
  return Error{ErrorCode::kUnavailable,
               fmt::format("{} was read {} times and changed during each read ({}): no deletes "
                           "are sent for it this run; it is read again at the next run",
                           stream, passes, why)};
}

std::optional<std::uint64_t> count_header(const http::Response& response, std::string_view name) {
  const auto header = response.header(name);
  if (!header) return std::nullopt;
  std::uint64_t count = 0;
  const auto parsed = std::from_chars(header->data(), header->data() + header->size(), count);
  if (parsed.ec != std::errc() || parsed.ptr != header->data() + header->size()) {
    return std::nullopt;
  }
  return count;
}

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

bool stream_only(const Error& error) {
  return error.code == ErrorCode::kNotFound || error.code == ErrorCode::kPermission ||
         error.code == ErrorCode::kCorrupt;
}

}  // namespace ferry::connectors::http_api
