// A OneRoster REST service for tests: a fake of a SIS's API (which cannot run here), built on the
// tests' HTTPS server (tests/support/https_server.hpp) on 127.0.0.1 with a test CA. It serves the
// records of a OneRoster CSV export (a folder of CSV files, as ferry-gen-oneroster writes) as
// OneRoster 1.1 JSON, each CSV row turned into the JSON record the connector's column table
// (connectors/oneroster_rest/collections.hpp, 1.1 and 1.2 together) reads back: GUIDRefs for
// *SourcedId columns, arrays for lists, booleans for enabledUser and primary. An OAuth 2 token
// endpoint guards it.
//
//   POST /oauth/token                          client credentials (Basic), -> access_token
//   GET  /ims/oneroster/v1p1/<collection>      Bearer; limit, offset, filter=dateLastModified>'X';
//                                              X-Total-Count
//
// Faults and changes are injected per request through hooks. Threads: the server's thread runs
// the handler; every public member may be called from any thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "tests/support/https_server.hpp"

namespace ferry::test {

class OneRosterApi {
 public:
  static constexpr const char* kClientId = "ferry-client";
  static constexpr const char* kClientSecret = "oauth-secret-4242";
  static constexpr const char* kBasePath = "/ims/oneroster/v1p1";

  // Loads every CSV file of the collections the connector reads that `export_dir` holds.
  explicit OneRosterApi(const std::filesystem::path& export_dir);

  std::string base_url() const;   // https://127.0.0.1:PORT/ims/oneroster/v1p1
  std::string token_url() const;  // https://127.0.0.1:PORT/oauth/token
  void write_ca_file(const std::filesystem::path& file) const { server_.write_ca_file(file); }
  HttpsServer& server() { return server_; }

  // The records of `collection` now (copies).
  std::vector<boost::json::object> records(const std::string& collection) const;
  void set_records(const std::string& collection, std::vector<boost::json::object> records);
  // Changes the data after each page request of `collection` is answered: called with the
  // 1-based number of that collection's page requests so far.
  void on_page(std::function<void(OneRosterApi&, const std::string& collection, int page)> hook);
  // Changes a reply before it is sent (faults): called for every request after it is answered.
  void on_reply(std::function<void(const HttpExchange&, HttpReply&)> hook);
  // Pages point to the next one with `Link: <...>; rel="next"` instead of relying on offsets.
  void use_link_headers(bool on) { link_headers_ = on; }
  // Answers with every record from the offset on, whatever the limit (as some services do).
  void ignore_limit(bool on) { ignore_limit_ = on; }
  // Answers with at most this many records, whatever the limit (0: no cap).
  void cap_page(std::size_t records) { page_cap_ = records; }
  // Answers from the first record, whatever the offset (a broken service).
  void ignore_offset(bool on) { ignore_offset_ = on; }
  // Access tokens expire this many seconds after they are issued (expires_in), and are refused
  // by the API afterwards.
  void token_lifetime(int seconds) { token_lifetime_ = seconds; }
  // Makes every issued token invalid at once (as a server restart would).
  void revoke_tokens();

  int token_requests() const { return token_requests_; }
  int page_requests(const std::string& collection) const;

 private:
  HttpReply answer(const HttpExchange& exchange);

  mutable std::mutex mutex_;
  std::map<std::string, std::vector<boost::json::object>> records_;
  std::map<std::string, int> pages_;
  std::function<void(OneRosterApi&, const std::string&, int)> on_page_;
  std::function<void(const HttpExchange&, HttpReply&)> on_reply_;
  std::atomic<bool> link_headers_ = false;
  std::atomic<bool> ignore_limit_ = false;
  std::atomic<std::size_t> page_cap_ = 0;
  std::atomic<bool> ignore_offset_ = false;
  std::atomic<int> token_lifetime_ = 3600;
  std::atomic<int> token_requests_ = 0;
  std::atomic<int> token_generation_ = 0;
  HttpsServer server_;
};

}  // namespace ferry::test
