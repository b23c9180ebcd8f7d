#include "tests/connectors/edfi/edfi_api.hpp"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/crypto/base64.hpp"
#include "common/http/form.hpp"
#include "connectors/edfi/resources.hpp"

namespace ferry::test {
namespace {

constexpr std::string_view kRoot = "/api";
constexpr std::string_view kTokenPath = "/api/oauth/token";
constexpr std::string_view kVersionsPath = "/api/changeQueries/v1/availableChangeVersions";
constexpr std::string_view kDataPrefix = "/api/data/v3/ed-fi/";
constexpr std::int64_t kDefaultLimit = 25;  // the ODS/API's, when limit is absent

HttpReply json_reply(unsigned status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.headers.emplace_back("Content-Type", "application/json");
  reply.body = std::move(body);
  return reply;
}

HttpReply message(unsigned status, std::string_view text) {
  return json_reply(status, boost::json::serialize(boost::json::object{{"message", text}}));
}

// The integer parameter `name`: nullopt when absent; `bad` is set when it is not an integer.
std::optional<std::int64_t> integer(const std::map<std::string, std::string>& query,
                                    const std::string& name, bool& bad) {
  const auto found = query.find(name);
  if (found == query.end()) return std::nullopt;
  std::int64_t value = 0;
  const std::string& text = found->second;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
    bad = true;
    return std::nullopt;
  }
  return value;
}

// A page token: the aggregate ids [from, to) still to read, as opaque text.
std::string make_token(std::uint64_t from, std::uint64_t to) {
  return crypto::base64_encode(crypto::as_bytes(fmt::format("seq:{}:{}", from, to)));
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_token(std::string_view token) {
  auto bytes = crypto::base64_decode(token);
  if (!bytes) return std::nullopt;
  const std::string text(bytes->begin(), bytes->end());
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "seq:%" SCNu64 ":%" SCNu64 "%c", &from, &to, &tail) != 2) {
    return std::nullopt;
  }
  return std::make_pair(from, to);
}

std::string header(const HttpExchange& exchange, const std::string& name) {
  const auto found = exchange.headers.find(name);
  return found == exchange.headers.end() ? std::string() : found->second;
}

}  // namespace

EdfiApi::EdfiApi() : server_([this](const HttpExchange& exchange) { return answer(exchange); }) {
  std::lock_guard lock(mutex_);
  for (const auto& known : connectors::edfi::known_resources()) resources_[known.stream];
  resources_["courseOfferings"];
}

std::string EdfiApi::root_url() const { return server_.base_url() + std::string(kRoot); }
std::string EdfiApi::token_url() const { return server_.base_url() + std::string(kTokenPath); }

void EdfiApi::add_resource(const std::string& resource) {
  std::lock_guard lock(mutex_);
  resources_[resource];
}

std::size_t EdfiApi::load_sample(const std::filesystem::path& resource_dir,
                                 const std::string& resource) {
  std::vector<std::filesystem::path> files;
  const auto upserts = resource_dir / "incremental" / "upserts";
  for (const auto& run : std::filesystem::directory_iterator(upserts)) {
    if (!run.is_directory() || !run.path().filename().string().starts_with("rundate=")) continue;
    for (const auto& file : std::filesystem::directory_iterator(run.path())) {
      if (file.path().extension() == ".json") files.push_back(file.path());
    }
  }
  std::sort(files.begin(), files.end());
  add_resource(resource);
  std::size_t lines = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      boost::system::error_code ec;
      boost::json::value parsed = boost::json::parse(line, ec);
      if (ec || !parsed.is_object()) {
        throw std::runtime_error(
            fmt::format("{}: a line that is not a JSON object", file.string()));
      }
      upsert(resource, std::move(parsed.as_object()));
      ++lines;
    }
  }
  return lines;
}

std::int64_t EdfiApi::upsert(const std::string& resource, boost::json::object record) {
  std::lock_guard lock(mutex_);
  Collection& collection = resources_[resource];
  const std::int64_t version = ++newest_;
  const auto* id = record.if_contains("id");
  if (id != nullptr) {
    for (Record& had : collection.records) {
      const auto* had_id = had.body.if_contains("id");
      if (had_id != nullptr && *had_id == *id) {
        had.body = std::move(record);
        had.version = version;
        return version;
      }
    }
  }
  collection.records.push_back(Record{next_seq_++, version, std::move(record)});
  return version;
}

std::int64_t EdfiApi::remove(const std::string& resource, const std::string& id) {
  std::lock_guard lock(mutex_);
  Collection& collection = resources_[resource];
  const auto found =
      std::find_if(collection.records.begin(), collection.records.end(), [&](const Record& had) {
        const auto* had_id = had.body.if_contains("id");
        return had_id != nullptr && had_id->is_string() && had_id->as_string() == id;
      });
  if (found == collection.records.end()) return 0;
  collection.records.erase(found);
  const std::int64_t version = ++newest_;
  collection.deletes.push_back(Deleted{id, version});
  return version;
}

std::vector<boost::json::object> EdfiApi::records(const std::string& resource) const {
  std::lock_guard lock(mutex_);
  std::vector<boost::json::object> copies;
  const auto found = resources_.find(resource);
  if (found == resources_.end()) return copies;
  for (const Record& record : found->second.records) copies.push_back(record.body);
  return copies;
}

std::int64_t EdfiApi::newest_change_version() const {
  std::lock_guard lock(mutex_);
  return newest_;
}

void EdfiApi::on_page(
    std::function<void(EdfiApi&, const std::string& resource, Route route, int page)> hook) {
  std::lock_guard lock(mutex_);
  on_page_ = std::move(hook);
}

void EdfiApi::on_reply(std::function<void(const HttpExchange&, HttpReply&)> hook) {
  std::lock_guard lock(mutex_);
  on_reply_ = std::move(hook);
}

int EdfiApi::requests(Route route, const std::string& resource) const {
  std::lock_guard lock(mutex_);
  const auto found = requests_.find({route, resource});
  return found == requests_.end() ? 0 : found->second;
}

void EdfiApi::count(Route route, const std::string& resource, int& number) {
  std::lock_guard lock(mutex_);
  number = ++requests_[{route, resource}];
}

bool EdfiApi::authorized(const HttpExchange& exchange) const {
  return header(exchange, "authorization")
      .starts_with(fmt::format("Bearer edfi-token-{}-", token_generation_.load()));
}

HttpReply EdfiApi::answer(const HttpExchange& exchange) {
  std::function<void(const HttpExchange&, HttpReply&)> on_reply;
  {
    std::lock_guard lock(mutex_);
    on_reply = on_reply_;
  }
  const auto finish = [&](HttpReply made) {
    if (on_reply) on_reply(exchange, made);
    return made;
  };
  int number = 0;
  if (exchange.path == kTokenPath) {
    count(Route::kToken, "", number);
    return finish(token(exchange));
  }
  if (exchange.path == kVersionsPath) {
    count(Route::kVersions, "", number);
    if (!authorized(exchange)) return finish(message(401, "Authorization denied."));
    return finish(versions());
  }
  if (!exchange.path.starts_with(kDataPrefix)) return finish(message(404, "Not found"));
  std::string resource = exchange.path.substr(kDataPrefix.size());
  Route route = Route::kData;
  if (resource.ends_with("/deletes")) {
    route = Route::kDeletes;
    resource.resize(resource.size() - std::string_view("/deletes").size());
  } else if (resource.ends_with("/partitions")) {
    route = Route::kPartitions;
    resource.resize(resource.size() - std::string_view("/partitions").size());
  }
  count(route, resource, number);
  if (exchange.method != "GET") return finish(message(405, "Method not allowed"));
  if (!authorized(exchange)) return finish(message(401, "Authorization denied."));
  std::function<void(EdfiApi&, const std::string&, Route, int)> on_page;
  HttpReply reply;
  {
    std::lock_guard lock(mutex_);
    if (resource.find('/') != std::string::npos || !resources_.contains(resource)) {
      reply = message(404, "The specified resource could not be found.");
    } else {
      reply = collection(exchange, resource, route);
      on_page = on_page_;
    }
  }
  if (on_page && route != Route::kPartitions && reply.status == 200) {
    on_page(*this, resource, route, number);
  }
  return finish(std::move(reply));
}

HttpReply EdfiApi::token(const HttpExchange& exchange) {
  if (exchange.method != "POST") return message(405, "Method not allowed");
  std::map<std::string, std::string> form;
  for (auto& [name, value] : http::parse_query(exchange.body)) form[name] = value;
  if (form["grant_type"] != "client_credentials") {
    return json_reply(400, R"({"error":"unsupported_grant_type"})");
  }
  // RFC 6749 section 2.3.1: a Basic header of the form-encoded id and secret, or both in the body.
  std::string id = form["client_id"];
  std::string secret = form["client_secret"];
  if (const std::string basic = header(exchange, "authorization"); basic.starts_with("Basic ")) {
    auto decoded = crypto::base64_decode(std::string_view(basic).substr(6));
    const std::string pair = decoded ? std::string(decoded->begin(), decoded->end()) : "";
    const std::size_t colon = pair.find(':');
    if (colon != std::string::npos) {
      id = http::percent_decode(pair.substr(0, colon), true);
      secret = http::percent_decode(pair.substr(colon + 1), true);
    }
  }
  if (id != kClientId || secret != kClientSecret) {
    return json_reply(401, R"({"error":"invalid_client"})");
  }
  return json_reply(200, fmt::format(R"({{"access_token":"edfi-token-{}-{}","token_type":)"
                                     R"("bearer","expires_in":1800}})",
                                     token_generation_.load(), ++tokens_issued_));
}

HttpReply EdfiApi::versions() {
  if (!change_queries_) return message(404, "Not found");
  std::lock_guard lock(mutex_);
  if (pascal_case_) {
    return json_reply(200, fmt::format(R"({{"OldestChangeVersion":{},"NewestChangeVersion":{}}})",
                                       oldest_.load(), newest_));
  }
  return json_reply(200, fmt::format(R"({{"oldestChangeVersion":{},"newestChangeVersion":{}}})",
                                     oldest_.load(), newest_));
}

HttpReply EdfiApi::collection(const HttpExchange& exchange, const std::string& resource,
                              Route route) {
  const auto& query = exchange.query;
  bool bad = false;
  const auto min = integer(query, "minChangeVersion", bad);
  const auto max = integer(query, "maxChangeVersion", bad);
  const auto offset = integer(query, "offset", bad);
  const auto limit = integer(query, "limit", bad);
  const auto page_size = integer(query, "pageSize", bad);
  const auto partitions = integer(query, "number", bad);
  if (bad) return message(400, "The request is invalid: a parameter is not an integer.");
  const bool total = query.contains("totalCount") && query.at("totalCount") == "true";
  const bool cursor = query.contains("pageToken");
  const auto in_window = [&](std::int64_t version) {
    return (!min || version >= *min) && (!max || version <= *max);
  };
  const Collection& collection = resources_.at(resource);

  if (route == Route::kDeletes) {
    std::vector<const Deleted*> selected;
    for (const Deleted& deleted : collection.deletes) {
      if (in_window(deleted.version)) selected.push_back(&deleted);
    }
    const std::int64_t first = offset.value_or(0);
    const std::int64_t size = limit.value_or(kDefaultLimit);
    if (first < 0 || size < 1 || size > kMaxLimit) {
      return message(
          400, fmt::format("Limit must be omitted or set to a value between 1 and {}.", kMaxLimit));
    }
    boost::json::array page;
    for (std::size_t i = static_cast<std::size_t>(first);
         i < selected.size() && i < static_cast<std::size_t>(first + size); ++i) {
      if (pascal_case_) {
        page.push_back(boost::json::object{
            {"Id", selected[i]->id}, {"ChangeVersion", std::to_string(selected[i]->version)}});
      } else {
        page.push_back(boost::json::object{{"id", selected[i]->id},
                                           {"changeVersion", selected[i]->version},
                                           {"keyValues", boost::json::object{}}});
      }
    }
    HttpReply reply = json_reply(200, boost::json::serialize(page));
    if (total) reply.headers.emplace_back("Total-Count", std::to_string(selected.size()));
    return reply;
  }

  std::vector<const Record*> selected;
  for (const Record& record : collection.records) {
    if (in_window(record.version)) selected.push_back(&record);
  }

  if (route == Route::kPartitions) {
    if (!partitions || *partitions < 1 || *partitions > 200) {
      return message(400, "number must be between 1 and 200.");
    }
    boost::json::array tokens;
    if (!selected.empty()) {
      // Up to `number` ranges of aggregate ids, about as many records in each.
      const std::size_t parts =
          std::min<std::size_t>(static_cast<std::size_t>(*partitions), selected.size());
      const std::uint64_t end = selected.back()->seq + 1;
      for (std::size_t part = 0; part < parts; ++part) {
        const std::uint64_t from = selected[part * selected.size() / parts]->seq;
        const std::uint64_t to =
            part + 1 < parts ? selected[(part + 1) * selected.size() / parts]->seq : end;
        tokens.push_back(boost::json::string(make_token(from, to)));
      }
    }
    return json_reply(200, boost::json::serialize(boost::json::object{{"pageTokens", tokens}}));
  }

  if (page_size && !cursor) return message(400, "pageSize can only be used with pageToken.");
  boost::json::array page;
  HttpReply reply;
  if (cursor) {
    if (offset || limit) return message(400, "offset and limit cannot be used with pageToken.");
    const auto range = parse_token(query.at("pageToken"));
    const std::int64_t size = page_size.value_or(kDefaultLimit);
    if (!range) return message(400, "The page token is invalid.");
    if (size < 1 || size > kMaxLimit) {
      return message(400, fmt::format("PageSize must be between 1 and {}.", kMaxLimit));
    }
    std::uint64_t last = 0;
    for (const Record* record : selected) {
      if (record->seq < range->first || record->seq >= range->second) continue;
      if (static_cast<std::int64_t>(page.size()) >= size) break;
      page.push_back(record->body);
      last = record->seq;
    }
    reply = json_reply(200, boost::json::serialize(page));
    if (!page.empty())
      reply.headers.emplace_back("Next-Page-Token", make_token(last + 1, range->second));
  } else {
    const std::int64_t first = offset.value_or(0);
    const std::int64_t size = limit.value_or(kDefaultLimit);
    if (first < 0 || size < 1 || size > kMaxLimit) {
      return message(
          400, fmt::format("Limit must be omitted or set to a value between 1 and {}.", kMaxLimit));
    }
    for (std::size_t i = static_cast<std::size_t>(first);
         i < selected.size() && i < static_cast<std::size_t>(first + size); ++i) {
      page.push_back(selected[i]->body);
    }
    reply = json_reply(200, boost::json::serialize(page));
    if (total) reply.headers.emplace_back("Total-Count", std::to_string(selected.size()));
  }
  return reply;
}

}  // namespace ferry::test
