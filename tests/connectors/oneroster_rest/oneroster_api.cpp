#include "tests/connectors/oneroster_rest/oneroster_api.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/crypto/base64.hpp"
#include "connectors/files/csv_reader.hpp"
#include "connectors/files/file_source.hpp"
#include "connectors/oneroster_rest/collections.hpp"

namespace ferry::test {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

// The JSON record whose columns, read by the connector's table, give back `row`.
boost::json::object record_of(const connectors::oneroster_rest::Collection& collection,
                              const std::vector<std::string>& header,
                              const std::vector<std::string>& row) {
  boost::json::object record;
  for (const auto& column : collection.columns) {
    std::size_t at = 0;
    while (at < header.size() && header[at] != column.name) ++at;
    if (at >= header.size() || at >= row.size() || row[at].empty()) continue;
    const std::string& value = row[at];
    const std::string& path = column.path;
    const std::size_t star = path.find("/*");
    const std::size_t second = path.find('/', 1);
    if (star != std::string::npos) {
      const std::string member = path.substr(1, star - 1);
      boost::json::array items;
      const bool objects = star + 2 < path.size();
      for (const std::string& part : split(value)) {
        if (objects) {
          items.push_back(boost::json::object{{path.substr(star + 3), part}, {"type", "org"}});
        } else {
          items.push_back(boost::json::string(part));
        }
      }
      record[member] = std::move(items);
    } else if (second != std::string::npos) {
      record[path.substr(1, second - 1)] = boost::json::object{
          {path.substr(second + 1), value}, {"href", "https://sis.example/x"}, {"type", "x"}};
    } else if ((column.name == "enabledUser" || column.name == "primary") &&
               (value == "true" || value == "false")) {
      record[column.name] = value == "true";
    } else {
      record[column.name] = value;
    }
  }
  return record;
}

std::map<std::string, std::string> query_of(const HttpExchange& exchange) { return exchange.query; }

}  // namespace

OneRosterApi::OneRosterApi(const std::filesystem::path& export_dir)
    : server_([this](const HttpExchange& exchange) { return answer(exchange); }) {
  namespace rest = connectors::oneroster_rest;
  for (rest::Collection collection : rest::collections(rest::Version::k1_1)) {
    // The columns of both versions: the record carries what a 1.1 and a 1.2 service would.
    for (const auto& column :
         rest::find_collection(rest::Version::k1_2, collection.stream)->columns) {
      const bool known = std::any_of(collection.columns.begin(), collection.columns.end(),
                                     [&](const auto& had) { return had.name == column.name; });
      if (!known) collection.columns.push_back(column);
    }
    const auto file = export_dir / (collection.stream + ".csv");
    std::vector<boost::json::object>& records = records_[collection.stream];
    if (!std::filesystem::exists(file)) continue;
    // Read with the connectors' own CSV reader (RFC 4180), as the CSV source reads the export.
    auto opened = connectors::files::FileSource::open(file);
    if (!opened) throw std::runtime_error(opened.error().message);
    connectors::files::CsvReader reader(**opened);
    std::vector<std::string> header;
    for (;;) {
      auto outcome = reader.next();
      if (!outcome) throw std::runtime_error(outcome.error().message);
      if (*outcome == connectors::files::CsvReader::Outcome::kEnd) break;
      if (*outcome != connectors::files::CsvReader::Outcome::kRecord) continue;
      std::vector<std::string> row(reader.fields().begin(), reader.fields().end());
      if (header.empty()) {
        header = std::move(row);
      } else {
        records.push_back(record_of(collection, header, row));
      }
    }
  }
}

std::string OneRosterApi::base_url() const { return server_.base_url() + kBasePath; }
std::string OneRosterApi::token_url() const { return server_.base_url() + "/oauth/token"; }

std::vector<boost::json::object> OneRosterApi::records(const std::string& collection) const {
  std::lock_guard lock(mutex_);
  const auto found = records_.find(collection);
  return found == records_.end() ? std::vector<boost::json::object>{} : found->second;
}

void OneRosterApi::set_records(const std::string& collection,
                               std::vector<boost::json::object> records) {
  std::lock_guard lock(mutex_);
  records_[collection] = std::move(records);
}

void OneRosterApi::on_page(std::function<void(OneRosterApi&, const std::string&, int)> hook) {
  std::lock_guard lock(mutex_);
  on_page_ = std::move(hook);
}

void OneRosterApi::on_reply(std::function<void(const HttpExchange&, HttpReply&)> hook) {
  std::lock_guard lock(mutex_);
  on_reply_ = std::move(hook);
}

void OneRosterApi::revoke_tokens() { ++token_generation_; }

int OneRosterApi::page_requests(const std::string& collection) const {
  std::lock_guard lock(mutex_);
  const auto found = pages_.find(collection);
  return found == pages_.end() ? 0 : found->second;
}

HttpReply OneRosterApi::answer(const HttpExchange& exchange) {
  HttpReply reply;
  reply.headers.emplace_back("Content-Type", "application/json");
  std::function<void(const HttpExchange&, HttpReply&)> on_reply;
  {
    std::lock_guard lock(mutex_);
    on_reply = on_reply_;
  }
  const auto finish = [&](HttpReply& made) {
    if (on_reply) on_reply(exchange, made);
    return made;
  };
  if (exchange.path == "/oauth/token") {
    ++token_requests_;
    const auto auth = exchange.headers.find("authorization");
    const std::string expected =
        "Basic " +
        crypto::base64_encode(crypto::as_bytes(fmt::format("{}:{}", kClientId, kClientSecret)));
    if (exchange.method != "POST" || auth == exchange.headers.end() || auth->second != expected ||
        exchange.body.find("grant_type=client_credentials") == std::string::npos) {
      reply.status = 401;
      reply.body = R"({"error":"invalid_client"})";
      return finish(reply);
    }
    reply.body =
        fmt::format(R"({{"access_token":"at-{}-{}","token_type":"bearer","expires_in":{}}})",
                    token_generation_.load(), token_requests_.load(), token_lifetime_.load());
    return finish(reply);
  }
  const std::string prefix = std::string(kBasePath) + "/";
  if (!exchange.path.starts_with(prefix)) {
    reply.status = 404;
    return finish(reply);
  }
  const auto auth = exchange.headers.find("authorization");
  if (auth == exchange.headers.end() ||
      !auth->second.starts_with(fmt::format("Bearer at-{}-", token_generation_.load()))) {
    reply.status = 401;
    reply.body = R"({"imsx_codeMajor":"failure","imsx_description":"unauthorized"})";
    return finish(reply);
  }
  const std::string collection = exchange.path.substr(prefix.size());
  const auto query = query_of(exchange);
  const std::size_t limit = ignore_limit_             ? std::numeric_limits<std::size_t>::max() / 2
                            : query.contains("limit") ? std::stoul(query.at("limit"))
                                                      : std::size_t{100};
  const std::size_t asked_limit = page_cap_ != 0 ? std::min<std::size_t>(limit, page_cap_) : limit;
  const std::size_t offset =
      query.contains("offset") && !ignore_offset_ ? std::stoul(query.at("offset")) : 0;
  boost::json::array page;
  std::size_t total = 0;
  int page_number = 0;
  std::function<void(OneRosterApi&, const std::string&, int)> on_page;
  {
    std::lock_guard lock(mutex_);
    const auto found = records_.find(collection);
    if (found == records_.end()) {
      reply.status = 404;
      return finish(reply);
    }
    // filter=dateLastModified>'X' (the one filter the connector sends): records changed after X,
    // by text comparison of ISO 8601 times.
    std::vector<const boost::json::object*> selected;
    std::string after;
    if (const auto filter = query.find("filter"); filter != query.end()) {
      const std::string later_than = "dateLastModified>'";
      if (!filter->second.starts_with(later_than) || !filter->second.ends_with("'")) {
        reply.status = 400;
        return finish(reply);
      }
      after =
          filter->second.substr(later_than.size(), filter->second.size() - later_than.size() - 1);
    }
    if (after.empty()) {
      total = found->second.size();
      for (std::size_t i = offset; i < total && i < offset + asked_limit; ++i) {
        page.push_back(found->second[i]);
      }
    } else {
      for (const boost::json::object& record : found->second) {
        const auto* modified = record.if_contains("dateLastModified");
        if (modified != nullptr && modified->is_string() && modified->as_string() > after) {
          selected.push_back(&record);
        }
      }
      total = selected.size();
      for (std::size_t i = offset; i < total && i < offset + asked_limit; ++i) {
        page.push_back(*selected[i]);
      }
    }
    page_number = ++pages_[collection];
    on_page = on_page_;
  }
  boost::json::object body;
  body[collection] = std::move(page);
  reply.body = boost::json::serialize(body);
  reply.headers.emplace_back("X-Total-Count", std::to_string(total));
  if (link_headers_ && offset + limit < total) {
    reply.headers.emplace_back(
        "Link", fmt::format("<{}{}?limit={}&offset={}>; rel=\"next\"", server_.base_url(),
                            exchange.path, limit, offset + limit));
  }
  if (on_page) on_page(*this, collection, page_number);
  return finish(reply);
}

}  // namespace ferry::test
