// The Source of an Ed-Fi ODS/API (docs/connectors/edfi.md).
//
// Streams are resources ("ed-fi/students"), each read into declared columns (a JSON pointer
// each, http_api::JsonColumn; descriptors reduced to their value) and keyed by the resource id
// `id`, the one key every version's /deletes route gives.
//
// Change queries. When the API has them (GET <change_queries_path>/availableChangeVersions
// answers), a stream's state is the newest change version it was read up to. A run with such a
// state reads only the window after it: the resource with minChangeVersion=state+1 and
// maxChangeVersion=newest (kChanges upserts), then its /deletes route over the same window
// (deletes by id). Without a state, with change queries off or missing (404), when the state is
// outside [oldest-1, newest] (the ODS was rebuilt or restored), or when `full_read_every` has
// passed, a stream is read whole: a kSnapshot (an id sent before and absent now was deleted),
// after which the state is the newest change version taken before the read.
//
// Paging: limit/offset with totalCount=true (every version), or, with `paging: cursor`
// (ODS/API 7.3 and later), a first page token from <resource>/partitions?number=1, then the
// Next-Page-Token each answer gives, until an empty page. /deletes is read with limit/offset in
// every version. Offset paging over data that
// changes can skip a record; the reads are checked and made again as http_api::read_paged says:
// a full read that stays inconsistent fails the stream (no deletes), a change window that stays
// inconsistent hands over what it read and keeps its state, so that the next run reads the window
// again.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/env/clock.hpp"
#include "connectors/api/source.hpp"
#include "connectors/http_api/api_session.hpp"
#include "connectors/http_api/json_rows.hpp"
#include "connectors/http_api/paged_read.hpp"

namespace ferry::connectors::edfi {

// A stream as configured: the resource it reads and its columns.
struct Resource {
  std::string stream;                         // "students"
  std::string path;                           // "ed-fi/students", below data_path
  std::vector<http_api::JsonColumn> columns;  // columns[0] is the key, "id" at "/id"
};

enum class Paging { kOffset, kCursor };

struct EdfiOptions {
  std::string data_path = "data/v3";                     // below url
  std::string change_queries_path = "changeQueries/v1";  // below url
  bool change_queries = true;
  std::int64_t page_size = 500;
  Paging paging = Paging::kOffset;
  std::chrono::milliseconds full_read_every = std::chrono::hours(24 * 7);
};

// The change versions the API has now.
struct ChangeVersions {
  std::int64_t oldest = 0;
  std::int64_t newest = 0;
};

// A stream's resume state: {"version": "123", "full_at": "<RFC 3339>"}.
struct StreamState {
  std::optional<std::int64_t> version;  // the change version read up to
  std::string full_at;                  // when the last full read began
};
StreamState parse_stream_state(std::string_view text);
std::string format_stream_state(const StreamState& state);

// {"oldestChangeVersion": 1, "newestChangeVersion": 9} (any case of the first letter), nullopt
// for anything else.
std::optional<ChangeVersions> parse_change_versions(std::string_view body);

class EdfiSource final : public Source {
 public:
  EdfiSource(std::string name, std::unique_ptr<http_api::ApiSession> session,
             std::vector<Resource> resources, EdfiOptions options, const env::Clock& clock,
             std::shared_ptr<spdlog::logger> log);

  Result<std::vector<StreamInfo>> streams() override;
  // The change versions (when used), then one record of the first stream: reachability, TLS,
  // credentials, and an answer that is a JSON array.
  Result<void> check() override;
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

 private:
  // The change versions, or nullopt when change queries are off or the API has none (404).
  Result<std::optional<ChangeVersions>> change_versions(const std::stop_token& stop);
  // The change versions to read (both included); none for a full read.
  using Window = std::optional<std::pair<std::int64_t, std::int64_t>>;
  // For cursor paging: the token of the first page (GET <resource>/partitions?number=1), nullopt
  // when the resource has no record in `window`.
  Result<std::optional<std::string>> first_token(const Resource& resource, const Window& window,
                                                 const std::stop_token& stop);
  // The paging of `resource` (its /deletes route when `deletes`); `first_token` for cursor paging.
  http_api::PagedCollection paged(const Resource& resource, bool deletes, const Window& window,
                                  const std::string& first_token) const;
  std::string data_url(const Resource& resource, bool deletes) const;

  std::string name_;
  std::unique_ptr<http_api::ApiSession> session_;
  std::vector<Resource> resources_;
  EdfiOptions options_;
  const env::Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace ferry::connectors::edfi
