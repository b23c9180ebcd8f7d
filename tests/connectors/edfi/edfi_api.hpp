// An Ed-Fi ODS/API for tests: a FAKE of a vendor's API (the real ODS/API, a .NET service over SQL
// Server or PostgreSQL, cannot run here), built on the tests' HTTPS server
// (tests/support/https_server.hpp) on 127.0.0.1 with a test CA. It plays what the Ed-Fi connector
// relies on, as the ODS/API 5.x-7.x documentation describes it; where the versions differ, an
// option picks one. Its API root is https://127.0.0.1:PORT/api:
//
//   POST /api/oauth/token            OAuth 2 client credentials, in a Basic header or in the form
//                                    body (client_id, client_secret); -> {"access_token",
//                                    "token_type":"bearer","expires_in"}; refused: 401
//                                    {"error":"invalid_client"}
//   GET  /api/changeQueries/v1/availableChangeVersions
//                                    {"oldestChangeVersion","newestChangeVersion"} (PascalCase as
//                                    ODS/API 5.x with pascal_case(true)); 404 with
//                                    change_queries(false)
//   GET  /api/data/v3/ed-fi/<resource>
//                                    offset, limit (1-500, default 25; more: 400), totalCount=true
//                                    (header Total-Count), minChangeVersion, maxChangeVersion
//                                    (both included); or pageToken (+ pageSize) for cursor paging
//   GET  /api/data/v3/ed-fi/<resource>/deletes
//                                    [{"id","changeVersion","keyValues"}] ({"Id","ChangeVersion":
//                                    "<n>"} with pascal_case(true)), the same paging and window
//   GET  /api/data/v3/ed-fi/<resource>/partitions?number=N[&minChangeVersion&maxChangeVersion]
//                                    {"pageTokens":[...]}: N tokens at most, none when no record
//
// Data. Each resource is a list of records in the order they were first inserted (as the ODS
// orders by its aggregate id); each record carries a change version that the fake keeps beside
// it (not in the body). upsert() and remove() take a new change version each (one counter for
// the whole API, as the ODS has). Page tokens mark places in that order (an aggregate id range,
// base64), not counts: a record deleted meanwhile shifts nothing, as in ODS/API 7.3.
//
// Every data and change-version route wants `Authorization: Bearer <a token it issued>` (401
// otherwise); an unknown resource or route is 404. The resources the fake knows at start are
// those of connectors::edfi::known_resources() plus courseOfferings, all empty.
//
// Faults and changes are injected per request through hooks. Threads: the server's thread runs the
// handler; every public member may be called from any thread, and from inside a hook.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "tests/support/https_server.hpp"

namespace ferry::test {

class EdfiApi {
 public:
  static constexpr const char* kClientId = "ferry-edfi-client";
  static constexpr const char* kClientSecret = "edfi-secret-7f3a91c2";
  static constexpr std::int64_t kMaxLimit = 500;  // the ODS/API's DefaultPageSizeLimit

  enum class Route { kToken, kVersions, kData, kDeletes, kPartitions };

  EdfiApi();

  std::string root_url() const;   // https://127.0.0.1:PORT/api
  std::string token_url() const;  // https://127.0.0.1:PORT/api/oauth/token
  void write_ca_file(const std::filesystem::path& file) const { server_.write_ca_file(file); }
  HttpsServer& server() { return server_; }

  // Makes `resource` known (empty) if it is not.
  void add_resource(const std::string& resource);
  // Upserts the records of the public sample's JSON lines files of `resource` (files
  // <resource_dir>/incremental/upserts/rundate=*/*.json, in path order; a file may start with a
  // UTF-8 BOM, and may be only that). Returns the number of records (lines) read. Throws
  // std::runtime_error when a line is not a JSON object.
  std::size_t load_sample(const std::filesystem::path& resource_dir, const std::string& resource);

  // Inserts `record`, or replaces the record with the same "id" (which keeps its place); either
  // way with a new change version, which it returns. A record without "id" is appended as it is.
  std::int64_t upsert(const std::string& resource, boost::json::object record);
  // Removes the record with "id" `id`, recording a delete with a new change version (returned);
  // 0 when there is no such record (nothing changes).
  std::int64_t remove(const std::string& resource, const std::string& id);
  // The records of `resource` now, in order (copies).
  std::vector<boost::json::object> records(const std::string& resource) const;
  std::int64_t newest_change_version() const;

  // ODS/API 5.x spelling: {"OldestChangeVersion","NewestChangeVersion"} and deletes
  // {"Id","ChangeVersion":"<n>"}.
  void pascal_case(bool on) { pascal_case_ = on; }
  // false: availableChangeVersions answers 404 (change queries off in that ODS).
  void change_queries(bool on) { change_queries_ = on; }
  void set_oldest_change_version(std::int64_t version) { oldest_ = version; }
  // Makes every issued token invalid at once (as a restart of the ODS/API would).
  void revoke_tokens() { ++token_generation_; }

  // Changes the data after each data or deletes request of `resource` is answered (before the
  // answer is sent): called with the 1-based number of that route's requests of that resource.
  void on_page(
      std::function<void(EdfiApi&, const std::string& resource, Route route, int page)> hook);
  // Changes a reply before it is sent (faults): called for every request after it is answered.
  void on_reply(std::function<void(const HttpExchange&, HttpReply&)> hook);

  // Requests answered (whatever the status) on `route` for `resource` ("" for kToken and
  // kVersions).
  int requests(Route route, const std::string& resource = "") const;
  int token_requests() const { return requests(Route::kToken); }

 private:
  struct Record {
    std::uint64_t seq = 0;  // the aggregate id: the order of first insertion
    std::int64_t version = 0;
    boost::json::object body;
  };
  struct Deleted {
    std::string id;
    std::int64_t version = 0;
  };
  struct Collection {
    std::vector<Record> records;
    std::vector<Deleted> deletes;
  };

  HttpReply answer(const HttpExchange& exchange);
  HttpReply token(const HttpExchange& exchange);
  HttpReply versions();
  // Answers a route of `resource` with the lock held; `route` says which.
  HttpReply collection(const HttpExchange& exchange, const std::string& resource, Route route);
  bool authorized(const HttpExchange& exchange) const;
  void count(Route route, const std::string& resource, int& number);

  mutable std::mutex mutex_;
  std::map<std::string, Collection> resources_;
  std::map<std::pair<Route, std::string>, int> requests_;
  std::int64_t newest_ = 0;
  std::uint64_t next_seq_ = 1;
  std::function<void(EdfiApi&, const std::string&, Route, int)> on_page_;
  std::function<void(const HttpExchange&, HttpReply&)> on_reply_;
  std::atomic<bool> pascal_case_ = false;
  std::atomic<bool> change_queries_ = true;
  std::atomic<std::int64_t> oldest_ = 0;
  std::atomic<int> token_generation_ = 0;
  std::atomic<int> tokens_issued_ = 0;
  HttpsServer server_;  // last: its thread stops first
};

}  // namespace ferry::test
