// Turns the records of a JSON API page into rows of declared columns as the bytes arrive, without
// building the page in memory: a SAX parse (boost::json::basic_parser) that keeps only the
// selected values of the record being read. For OneRoster REST (`{"users":[...],
// "statusInfoSet":[...]}`), Ed-Fi and Canvas (a top-level array of records).
//
// Paths. The records path says where the records are: "" = the document is the array of records;
// "/users" = the array under member "users" of the top-level object ("/data/users" goes deeper).
// Every other member on the way is skipped. A column's path is a JSON pointer relative to its
// record ("/sourcedId", "/primaryOrg/sourcedId"; "~1" and "~0" escape '/' and '~'), in which one
// step may be "*": every element of the array at that point ("/orgs/*/sourcedId", "/grades/*").
// A path that names an array of values directly ("/grades") means the same as its "/*".
//
// Values (connectors::Value):
//  - a string gives kString (unescaped UTF-8), a number kNumber with its text as written in the
//    document ("1.50" stays "1.50"), true and false kBool, null or an absent member kNull;
//  - values reached through an array (a "*" step, or a path naming an array) are joined with ","
//    in document order as one kString, like OneRoster CSV writes lists (a value that itself holds
//    a ',' is not escaped); null elements are left out; no element gives kNull;
//  - `descriptor` columns keep only what follows the last '#' of each string (Ed-Fi descriptors:
//    "uri://ed-fi.org/GradeLevelDescriptor#Tenth grade" gives "Tenth grade");
//  - a step that does not fit the document (a member of something that is not an object, a "*"
//    over something that is not an array) means the value is absent: kNull.
//
// Bad records. A record is bad, and gives no row but one call of the bad-record handler with its
// index and a reason, when it is not an object, when a column's path ends at an object or at an
// array that holds objects or arrays ("primaryOrg is an object, expected a value"), when a "*"
// path ends at an array, when one selected string or number is longer than
// JsonRowLimits::max_value_bytes, or when its selected values together pass max_record_bytes.
// Reasons name the path ("orgs/*/sourcedId"), never a value (values are personal data). Reading
// goes on with the next record.
//
// Errors (kCorrupt) end the document, and every later call returns the same error: malformed JSON
// (with the byte offset, counted from 0 over all of write()'s chunks, and Boost.JSON's words for
// it), nesting deeper than max_depth, the records path present but not an array, data after the
// document (each with its byte offset), and a document that ends early (finish()). A records path
// that never appears is not an error: finish() succeeds and saw_records_array() says false; the
// caller decides. An error the row handler returns stops reading and is returned unchanged by
// write() or finish().
//
// Memory: bounded whatever the page size. Unselected values are skipped without being stored;
// a member name is kept only as far as it can match a path; selected values of one record are
// kept in per-column buffers reused from record to record (a buffer that grew past 64 KiB is
// released after its record), at most max_record_bytes in all. Boost.JSON's own state is bounded
// by max_depth. Speed: no allocation per value once the buffers have their working size, and
// the handlers are called once per record, not per value.
//
// Ownership and threads: the reader owns its copies of the paths and the handlers. Row values
// are views into the reader's buffers, valid only during the call of the row handler. Handlers
// run on the thread that calls write() or finish(), from inside that call, and must not call the
// reader back; they should not throw (an exception leaves write() and fails the reader for good).
// Not thread-safe; one reader reads one document. A moved-from reader may only be destroyed or
// assigned to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"
#include "connectors/api/row.hpp"

namespace ferry::connectors::http_api {

// One output column: its name and where its value is in a record.
struct JsonColumn {
  std::string name;         // "primaryOrgSourcedId"; carried for the caller, not used here
  std::string path;         // "/primaryOrg/sourcedId", "/orgs/*/sourcedId", "/grades"
  bool descriptor = false;  // keep only what follows the last '#' of string values
};

// Limits against hostile or broken servers.
struct JsonRowLimits {
  // Nesting of arrays and objects in the whole document; deeper is a kCorrupt error.
  std::size_t max_depth = 64;
  // One selected string or number; a longer one makes its record bad.
  std::size_t max_value_bytes = 1024 * 1024;
  // The selected values of one record together; more makes the record bad.
  std::size_t max_record_bytes = 8 * 1024 * 1024;
};

class JsonRowReader {
 public:
  // One row per good record, aligned to the columns; the views are valid during the call. An
  // error stops reading and comes back from write() or finish() unchanged.
  using RowHandler = std::function<Result<void>(RowView row)>;
  // A bad record: its 0-based index among the records of this document, and why (never a value).
  // May be empty: bad records are then only counted (records()).
  using BadRecordHandler = std::function<void(std::uint64_t record_index, std::string reason)>;

  // Checks the paths (kConfig: a path not empty and not starting with '/', a column path that is
  // empty, more than one "*" in a path, a "*" in the records path; kInvalidArgument: no row
  // handler) and makes a reader.
  static Result<JsonRowReader> create(std::string records_path, std::vector<JsonColumn> columns,
                                      RowHandler on_row, BadRecordHandler on_bad,
                                      JsonRowLimits limits = {});

  JsonRowReader(JsonRowReader&& other) noexcept;
  JsonRowReader& operator=(JsonRowReader&& other) noexcept;
  ~JsonRowReader();

  // Feeds the next bytes of the document, split anywhere (inside a UTF-8 sequence, a number, an
  // escape). Rows and bad records of the records completed by these bytes are handed over before
  // it returns.
  Result<void> write(std::string_view chunk);

  // The document has ended: kCorrupt if it is incomplete. Call once, after the last write().
  Result<void> finish();

  // Records seen so far: rows plus bad records.
  std::uint64_t records() const;

  // Whether the records path was there and held an array.
  bool saw_records_array() const;

  // Bytes the reader holds between records for values and member names (capacity, not size):
  // for tests and metrics, to see that memory does not grow with the page.
  std::size_t buffer_bytes() const;

 private:
  struct Impl;
  explicit JsonRowReader(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::connectors::http_api
