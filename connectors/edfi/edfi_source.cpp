#include "connectors/edfi/edfi_source.hpp"

#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/http/form.hpp"
#include "common/keys/key_age.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::connectors::edfi {
namespace {

constexpr int kPasses = 3;  // whole reads of a stream before it fails as inconsistent

// A member of `object` by its name, or by the same name with its first letter upper case (older
// ODS/API versions and some exports write "Id", "ChangeVersion").
const boost::json::value* either_case(const boost::json::object& object, std::string name) {
  if (const auto* value = object.if_contains(name)) return value;
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return object.if_contains(name);
}

std::optional<std::int64_t> integer_of(const boost::json::value* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64() && value->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(value->as_uint64());
  }
  if (value->is_string()) {
    const auto& text = value->as_string();
    std::int64_t parsed = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (result.ec == std::errc() && result.ptr == text.data() + text.size()) return parsed;
  }
  return std::nullopt;
}

std::string describe_get(const std::string& url) {
  return http::describe_request(boost::beast::http::verb::get, url);
}

}  // namespace

StreamState parse_stream_state(std::string_view text) {
  StreamState state;
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object()) return state;
  const auto& object = parsed.as_object();
  state.version = integer_of(object.if_contains("version"));
  if (const auto* full_at = object.if_contains("full_at"); full_at && full_at->is_string()) {
    state.full_at = std::string(full_at->as_string());
  }
  return state;
}

std::string format_stream_state(const StreamState& state) {
  boost::json::object object;
  object["version"] = state.version ? std::to_string(*state.version) : std::string();
  object["full_at"] = state.full_at;
  return boost::json::serialize(object);
}

std::optional<ChangeVersions> parse_change_versions(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto newest = integer_of(either_case(parsed.as_object(), "newestChangeVersion"));
  if (!newest) return std::nullopt;
  const auto oldest = integer_of(either_case(parsed.as_object(), "oldestChangeVersion"));
  return ChangeVersions{oldest.value_or(0), *newest};
}

EdfiSource::EdfiSource(std::string name, std::unique_ptr<http_api::ApiSession> session,
                       std::vector<Resource> resources, EdfiOptions options,
                       const env::Clock& clock, std::shared_ptr<spdlog::logger> log)
    : name_(std::move(name)),
      session_(std::move(session)),
      resources_(std::move(resources)),
      options_(std::move(options)),
      clock_(clock),
      log_(std::move(log)) {}

Result<std::vector<StreamInfo>> EdfiSource::streams() {
  std::vector<StreamInfo> infos;
  for (const Resource& resource : resources_) {
    StreamInfo& info = infos.emplace_back();
    info.name = resource.stream;
    info.key = resource.columns.front().name;
    for (const http_api::JsonColumn& column : resource.columns) info.columns.push_back(column.name);
  }
  return infos;
}

std::string EdfiSource::data_url(const Resource& resource, bool deletes) const {
  std::string path = options_.data_path + "/" + resource.path;
  if (deletes) path += "/deletes";
  return session_->url(path);
}

Result<std::optional<ChangeVersions>> EdfiSource::change_versions(const std::stop_token& stop) {
  if (!options_.change_queries) return std::optional<ChangeVersions>();
  const std::string url = session_->url(options_.change_queries_path + "/availableChangeVersions");
  auto response = session_->get_whole(url, stop);
  if (!response) {
    if (response.error().code == ErrorCode::kNotFound) return std::optional<ChangeVersions>();
    return tl::unexpected(response.error());
  }
  auto versions = parse_change_versions(response->body);
  if (!versions) {
    return make_error(ErrorCode::kCorrupt,
                      "{}: the answer has no newestChangeVersion; is change_queries_path of source "
                      "'{}' right (default changeQueries/v1)?",
                      describe_get(url), name_);
  }
  return std::optional<ChangeVersions>(*versions);
}

Result<std::optional<std::string>> EdfiSource::first_token(const Resource& resource,
                                                           const Window& window,
                                                           const std::stop_token& stop) {
  std::vector<http::Parameter> query = {{"number", "1"}};
  if (window) {
    query.emplace_back("minChangeVersion", std::to_string(window->first));
    query.emplace_back("maxChangeVersion", std::to_string(window->second));
  }
  const std::string url = http::with_query(
      session_->url(options_.data_path + "/" + resource.path + "/partitions"), query);
  auto response = session_->get_whole(url, stop);
  if (!response) return tl::unexpected(response.error());
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(response->body, ec);
  const auto* tokens =
      !ec && parsed.is_object() ? parsed.as_object().if_contains("pageTokens") : nullptr;
  if (tokens == nullptr || !tokens->is_array()) {
    return make_error(ErrorCode::kCorrupt,
                      "{}: the answer has no pageTokens array; paging: cursor needs ODS/API 7.3 "
                      "or later (use paging: offset)",
                      describe_get(url));
  }
  if (tokens->as_array().empty()) return std::optional<std::string>();  // no record at all
  const auto& token = tokens->as_array().front();
  if (!token.is_string() || token.as_string().empty()) {
    return make_error(ErrorCode::kCorrupt, "{}: a page token that is not a string",
                      describe_get(url));
  }
  return std::optional<std::string>(std::string(token.as_string()));
}

http_api::PagedCollection EdfiSource::paged(const Resource& resource, bool deletes,
                                            const Window& window,
                                            const std::string& first_token) const {
  std::vector<http::Parameter> common;
  if (window) {
    common.emplace_back("minChangeVersion", std::to_string(window->first));
    common.emplace_back("maxChangeVersion", std::to_string(window->second));
  }
  const std::string base = data_url(resource, deletes);
  const std::string size = std::to_string(options_.page_size);
  http_api::PagedCollection paged;
  paged.stream = resource.stream;
  paged.records_path = "";
  if (deletes) {
    // {"id": "...", "changeVersion": 9, "keyValues": {...}}; "Id" in some versions and exports.
    paged.columns = {{"id", "/id", false}, {"Id", "/Id", false}};
    paged.key_columns = 2;
  } else {
    paged.columns = resource.columns;
  }
  // The /deletes route has no cursor paging in any version: offset paging there.
  if (options_.paging == Paging::kCursor && !deletes) {
    std::vector<http::Parameter> first = common;
    first.emplace_back("pageToken", first_token);
    first.emplace_back("pageSize", size);
    paged.first_url = http::with_query(base, first);
    // Each answer with records names the next page; the page after the last is empty.
    paged.next = [base, common, size](const http::Response& answer, const std::string&,
                                      std::uint64_t, std::optional<std::uint64_t>) {
      const auto token = answer.header("Next-Page-Token");
      if (!token || token->empty()) return std::string();
      std::vector<http::Parameter> query = common;
      query.emplace_back("pageToken", std::string(*token));
      query.emplace_back("pageSize", size);
      return http::with_query(base, query);
    };
    return paged;
  }
  paged.count_header = "Total-Count";
  const auto page_url = [base, common, size](std::uint64_t offset) {
    std::vector<http::Parameter> query = common;
    query.emplace_back("offset", std::to_string(offset));
    query.emplace_back("limit", size);
    query.emplace_back("totalCount", "true");
    return http::with_query(base, query);
  };
  paged.first_url = page_url(0);
  paged.next = [page_url](const http::Response&, const std::string&, std::uint64_t records,
                          std::optional<std::uint64_t> count) {
    // The end: the count is reached, or, without a count, an empty page (a short page alone is
    // not the end: the ODS caps the page size at its own limit).
    if (count && records >= *count) return std::string();
    return page_url(records);
  };
  return paged;
}

Result<void> EdfiSource::check() {
  auto versions = change_versions(std::stop_token());
  if (!versions) return tl::unexpected(versions.error());
  if (resources_.empty()) return {};
  const Resource& first = resources_.front();
  if (options_.paging == Paging::kCursor) {
    if (auto token = first_token(first, std::nullopt, std::stop_token()); !token) {
      return tl::unexpected(token.error());
    }
  }
  const std::string url =
      http::with_query(data_url(first, false), {{"offset", "0"}, {"limit", "1"}});
  return http_api::check_records(
      *session_, url, "", first.columns,
      fmt::format("is url of source '{}' the API's root (the address before /data/v3), and "
                  "data_path right?",
                  name_));
}

Result<std::string> EdfiSource::read(const ResumeState& state, RowSink& sink,
                                     std::stop_token stop) {
  auto infos = streams();
  if (!infos) return tl::unexpected(infos.error());
  auto versions = change_versions(stop);
  if (!versions) return tl::unexpected(versions.error());
  if (options_.change_queries && !*versions) {
    log_->warn(
        "change queries not available source={}: every stream is read whole (is "
        "change_queries_path right? set change_queries: false to say so)",
        name_);
  }
  bool cut_short = false;  // the sink had enough rows: not the whole data set
  const env::WallTime now = clock_.now();
  std::vector<Value> delete_row;
  for (std::size_t i = 0; i < resources_.size(); ++i) {
    const Resource& resource = resources_[i];
    const StreamState before = parse_stream_state(state.stream(resource.stream));
    const auto full_at = keys::parse_rfc3339(before.full_at);
    // A full read stamped in the future (a clock set back since) is due now.
    const bool full_due = !full_at || *full_at > now || now - *full_at >= options_.full_read_every;
    bool delta = *versions && before.version && !full_due;
    if (delta &&
        (*before.version > (*versions)->newest || *before.version + 1 < (*versions)->oldest)) {
      log_->warn(
          "change version out of the API's range source={} stream={} state={} oldest={} "
          "newest={}: the stream is read whole (was the ODS rebuilt or restored?)",
          name_, resource.stream, *before.version, (*versions)->oldest, (*versions)->newest);
      delta = false;
    }
    auto taken =
        sink.begin_stream((*infos)[i], delta ? StreamMode::kChanges : StreamMode::kSnapshot);
    if (!taken) return tl::unexpected(taken.error());
    if (!*taken) continue;
    StreamState after;
    after.version = *versions ? std::optional<std::int64_t>((*versions)->newest) : std::nullopt;
    after.full_at = delta ? before.full_at : keys::format_rfc3339(now);
    Window window;
    if (delta) window = std::make_pair(*before.version + 1, (*versions)->newest);

    // Records without an id are bad records of read_paged's.
    const auto on_upsert = [&](const std::vector<std::string>&, RowView values,
                               std::uint64_t) -> Result<void> {
      return sink.row(values, RowOp::kUpsert);
    };
    const auto on_delete = [&](const std::vector<std::string>& texts, RowView,
                               std::uint64_t) -> Result<void> {
      delete_row.assign(resource.columns.size(), Value::null());
      delete_row[0] = Value::string(texts[0].empty() ? texts[1] : texts[0]);
      return sink.row(delete_row, RowOp::kDelete);
    };

    http_api::PagedOutcome outcome;
    std::optional<Error> failed;
    // A window with nothing in it: the state is the newest version already.
    const bool empty_window = window && window->first > window->second;
    std::optional<std::string> token;  // where cursor paging starts; none: no record
    if (!empty_window && options_.paging == Paging::kCursor) {
      auto first = first_token(resource, window, stop);
      if (!first) {
        failed = first.error();
      } else {
        token = std::move(*first);
      }
    }
    const bool no_records = options_.paging == Paging::kCursor && !token;
    if (!empty_window && !failed && !no_records) {
      auto upserts =
          http_api::read_paged(*session_, paged(resource, false, window, token.value_or("")),
                               static_cast<std::size_t>(options_.page_size), on_upsert, sink, stop,
                               *log_, name_, kPasses);
      if (!upserts) {
        failed = upserts.error();
      } else {
        outcome = *upserts;
      }
    }
    if (!empty_window && !failed && delta && outcome.end == http_api::PagedEnd::kConsistent) {
      auto deletes = http_api::read_paged(*session_, paged(resource, true, window, {}),
                                          static_cast<std::size_t>(options_.page_size), on_delete,
                                          sink, stop, *log_, name_, kPasses);
      if (!deletes) {
        failed = deletes.error();
      } else {
        outcome = *deletes;
      }
    }
    if (stop.stop_requested()) {
      return make_error(ErrorCode::kUnavailable, "source '{}': stopped", name_);
    }
    if (failed) {
      if (!http_api::stream_only(*failed)) return tl::unexpected(*failed);
      sink.stream_failed(resource.stream, *failed);
      continue;
    }
    if (outcome.end == http_api::PagedEnd::kEnough) {
      cut_short = true;
      if (auto ended = sink.end_stream(state.stream(resource.stream)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else if (outcome.end == http_api::PagedEnd::kConsistent) {
      if (auto ended = sink.end_stream(format_stream_state(after)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else if (delta) {
      // What the window handed over is true; only its state cannot move on, so the next run
      // reads the window again.
      log_->warn("change window kept its state source={} stream={}: {}", name_, resource.stream,
                 outcome.why);
      if (auto ended = sink.end_stream(state.stream(resource.stream)); !ended) {
        return tl::unexpected(ended.error());
      }
    } else {
      sink.stream_failed(resource.stream,
                         http_api::inconsistent_read(resource.stream, kPasses, outcome.why));
    }
  }
  return cut_short ? state.source : std::string();
}

}  // namespace ferry::connectors::edfi
