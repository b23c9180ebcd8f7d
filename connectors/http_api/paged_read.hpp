// One collection of a JSON API read page by page into a RowSink, and read again when it changed
// under the read: what the OneRoster REST and Ed-Fi sources share.
//
// Paging over data that changes can skip a record (a delete shifts every later offset back by
// one), which a snapshot would then take for deleted, or a change read would lose for good. A
// read is consistent when the count header (X-Total-Count, Total-Count; if the API sends it)
// stays the same on every page, no record (by its key columns) comes twice, and the records add
// up to that count. An inconsistent read is made again, up to `passes` reads; a record handed
// over by an earlier read of the same call and unchanged is not handed over again.
//
// Pages: the records of the page at `first_url`, then of each URL `next` gives, until `next`
// gives "" or a page holds no record. A page whose body is cut short after some bytes is read
// again (at most three times), without handing its records over twice. A page that repeats the
// one before (the API ignores the offset) ends the read as inconsistent; a next URL equal to the
// page's own is kCorrupt.
//
// Memory: a page is parsed as it arrives (JsonRowReader); what a read keeps is two 8-byte hashes
// per record (its key, its content) for the consistency check, and a window of the last 1,000 to
// 20,000 records handed over, whatever the page size.
//
// Bad records (JsonRowReader's, and records whose key columns are all empty or absent) are
// reported to the sink once, by the read that ends the call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "connectors/api/source.hpp"
#include "connectors/http_api/api_session.hpp"
#include "connectors/http_api/json_rows.hpp"

namespace ferry::connectors::http_api {

struct PagedCollection {
  std::string stream;        // names the collection in messages and bad rows
  std::string records_path;  // JsonRowReader's: "/users", or "" for a top-level array
  std::vector<JsonColumn> columns;
  // The first `key_columns` columns together identify a record (for the duplicate check).
  std::size_t key_columns = 1;
  std::string count_header;  // "X-Total-Count", "Total-Count"; "" when the API has none
  std::string first_url;
  // The URL of the page after `answer` (the page at `url`); `records` counts the records of this
  // read so far, `count` is the count header's value on the first page. "" after the last page.
  std::function<std::string(const http::Response& answer, const std::string& url,
                            std::uint64_t records, std::optional<std::uint64_t> count)>
      next;
};

// A record to hand over (new to this call): its columns' texts, values viewing them (typed as the
// JSON had them: JsonRowReader's), and
// its 1-based number in this read (for a bad row's location: "students record 12"). It decides
// what the record means and calls the sink; an error stops the read.
using RecordHandler = std::function<Result<void>(const std::vector<std::string>& texts,
                                                 RowView values, std::uint64_t number)>;

enum class PagedEnd {
  kConsistent,    // a whole, consistent read
  kEnough,        // the sink had enough rows (preview): not the whole collection
  kInconsistent,  // every read changed under it; `why` says how the last one did
};
struct PagedOutcome {
  PagedEnd end = PagedEnd::kConsistent;
  std::string why;
};

// Reads `collection` as described above. Errors are the session's (a final HTTP answer, the
// network, a stop), kCorrupt for JSON that is not an array of records where `records_path` says,
// and the handler's. `page_size` sizes the window of recent records. `source` names the source
// in log lines.
Result<PagedOutcome> read_paged(ApiSession& session, const PagedCollection& collection,
                                std::size_t page_size, const RecordHandler& on_record,
                                RowSink& sink, const std::stop_token& stop, spdlog::logger& log,
                                std::string_view source, int passes = 3);

// For the sources' check(): GETs `url` (one record, say) and sees that the answer is JSON with an
// array of records at `records_path` (JsonRowReader's). Errors: the session's; kCorrupt for JSON
// that is not, or without that array, the message ending in `hint` ("is url of source 'x' the
// API's root?").
Result<void> check_records(ApiSession& session, const std::string& url,
                           const std::string& records_path, const std::vector<JsonColumn>& columns,
                           std::string_view hint);

// Why a snapshot stream fails when every read of it changed under it (PagedEnd::kInconsistent).
Error inconsistent_read(std::string_view stream, int passes, std::string_view why);

// The value of an integer count header (X-Total-Count, Total-Count), nullopt when absent or not a
// number.
std::optional<std::uint64_t> count_header(const http::Response& response, std::string_view name);

// The URL of rel="next" in a Link header value, or "" when there is none.
std::string next_link(std::string_view link);

// Errors that concern one collection only (the API lacks it, the account may not read it, its
// JSON is not what the API documents): that stream fails and the others are read. Anything else
// (credentials, rate limits, the API down, a stop) ends the source's read.
bool stream_only(const Error& error);

}  // namespace ferry::connectors::http_api
