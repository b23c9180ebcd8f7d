// The Source of a OneRoster REST service (docs/connectors/oneroster_rest.md).
//
// Streams are the collections (collections.hpp) that the source's policy names, in the table's
// order; each is read whole on every run as a kSnapshot stream (a key sent before and absent now
// was deleted; a record with status "tobedeleted" counts as absent), page by page with
// `limit`/`offset`, or the `Link: <...>; rel="next"` the API gives. Every value is handed over as
// text, as the CSV binding writes it: absent and null are "", true and false and numbers their
// JSON text, lists joined with ','.
//
// Offset paging over data that changes can skip a record, which a snapshot would then take for
// deleted. A read is consistent when X-Total-Count (if the API sends it) stays the same on every
// page, no sourcedId comes twice, and the records add up to that count. An inconsistent read is
// made again (at most three reads); a record handed over by an earlier read of the same run and
// unchanged is not handed over again. A stream with no consistent read fails (no deletes; its
// rows come again next run).
//
// Memory: a page is parsed as it arrives (JsonRowReader); what the source keeps per stream is two
// 8-byte hashes per record (sourcedId, content) for the consistency check.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/api/source.hpp"
#include "connectors/http_api/api_session.hpp"
#include "connectors/oneroster_rest/collections.hpp"

namespace ferry::connectors::oneroster_rest {

class RestSource final : public Source {
 public:
  // `streams`: the collections to read; `page_size`: the `limit` of each request.
  RestSource(std::string name, std::unique_ptr<http_api::ApiSession> session,
             std::vector<const Collection*> streams, std::int64_t page_size,
             std::shared_ptr<spdlog::logger> log);

  Result<std::vector<StreamInfo>> streams() override;
  // One request of one record from the first collection: reachability, TLS, credentials.
  Result<void> check() override;
  Result<std::string> read(const ResumeState& state, RowSink& sink, std::stop_token stop) override;

 private:
  struct Pass;
  // One whole read of `collection`: Pass::consistent tells whether it may stand for the data set.
  Result<void> read_pass(const Collection& collection, Pass& pass, RowSink& sink,
                         const std::stop_token& stop);

  std::string name_;
  std::unique_ptr<http_api::ApiSession> session_;
  std::vector<const Collection*> streams_;
  std::int64_t page_size_;
  std::shared_ptr<spdlog::logger> log_;
};

// The URL of rel="next" in a Link header value, or "" when there is none.
std::string next_link(std::string_view link);

}  // namespace ferry::connectors::oneroster_rest
