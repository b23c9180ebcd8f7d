#include "connectors/canvas/canvas.hpp"

#include <algorithm>
#include <variant>

#include <fmt/format.h>

#include "common/config/overlay.hpp"
#include "connectors/canvas/canvas_source.hpp"
#include "connectors/canvas/streams.hpp"

namespace ferry::connectors::canvas {
namespace {

bool valid_account(std::string_view account) {
  return !account.empty() && std::all_of(account.begin(), account.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.' || c == ':';
  });
}

Result<CanvasOptions> options_of(const config::SourceSettings& settings) {
  CanvasOptions options;
  if (const auto* account = config::option_as<std::string>(settings.options, "account")) {
    options.account = *account;
  }
  if (!valid_account(options.account)) {
    return make_error(ErrorCode::kConfig,
                      "account of source '{}' must be an account id (1), sis_account_id:<id> or "
                      "self",
                      settings.name);
  }
  if (const auto* size = config::option_as<std::int64_t>(settings.options, "page_size")) {
    if (*size < 1 || *size > 100) {
      return make_error(ErrorCode::kConfig,
                        "page_size {} of source '{}' is not between 1 and 100 (Canvas gives at "
                        "most 100 records a page)",
                        *size, settings.name);
    }
    options.page_size = *size;
  }
  if (const auto* on = config::option_as<bool>(settings.options, "deltas")) options.deltas = *on;
  if (const auto* every =
          config::option_as<config::Duration>(settings.options, "full_read_every")) {
    options.full_read_every = *every;
  }
  if (const auto* overlap =
          config::option_as<config::Duration>(settings.options, "delta_overlap")) {
    options.delta_overlap = *overlap;
  }
  return options;
}

}  // namespace

config::SourceTypeSpec spec() {
  return {.type = "canvas",
          .description =
              "Canvas LMS account: users, courses, sections, enrollments, assignments, "
              "submissions, read over HTTPS",
          .options = {{"account", config::OptionKind::kString, false,
                       "the account whose data is read: its id (1), sis_account_id:<id>, or "
                       "self (default: the token's own account)"},
                      {"page_size", config::OptionKind::kInteger, false,
                       "records asked for in one request (per_page), 1-100; default 100"},
                      {"deltas", config::OptionKind::kBool, false,
                       "submissions: read only those submitted or graded since the last run, "
                       "between full reads; default true"},
                      {"full_read_every", config::OptionKind::kDuration, false,
                       "with deltas: how often submissions are read whole; default 7d"},
                      {"delta_overlap", config::OptionKind::kDuration, false,
                       "with deltas: how far before the cursor a delta read starts; default 5m"}},
          .stream_options = {},
          .file_source = false,
          .presets = {"canvas"},
          .api_source = true};
}

Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context) {
  auto options = options_of(settings);
  if (!options) return tl::unexpected(options.error());
  std::vector<config::StreamSettings> preset;
  if (settings.preset && *settings.preset == "canvas") preset = preset_streams();
  const auto policy = config::overlay_streams(std::move(preset), settings.streams);
  for (const config::StreamSettings& stream : policy) {
    if (find_stream(stream.name) == nullptr) {
      std::string known;
      for (const CanvasStream& each : canvas_streams()) {
        known += (known.empty() ? "" : ", ") + each.stream;
      }
      return make_error(ErrorCode::kConfig,
                        "source '{}': Canvas has no stream '{}' that Ferry reads (it reads {})",
                        settings.name, stream.name, known);
    }
    if (!stream.more_keys.empty() || (!stream.key.empty() && stream.key != "id")) {
      return make_error(ErrorCode::kConfig,
                        "stream '{}' of source '{}': a Canvas stream is keyed by Canvas's id, "
                        "`key: id`",
                        stream.name, settings.name);
    }
  }
  std::vector<const CanvasStream*> streams;
  for (const CanvasStream& each : canvas_streams()) {
    const bool named = std::any_of(policy.begin(), policy.end(),
                                   [&](const auto& stream) { return stream.name == each.stream; });
    if (named) streams.push_back(&each);
  }
  auto session = http_api::ApiSession::create(settings, context);
  if (!session) return tl::unexpected(session.error());
  http_api::ApiDialect dialect;
  dialect.rate_limit_exceeded_body = true;
  dialect.unchallenged_401_is_permission = true;
  // Canvas's bucket holds 600 to 700 units and drains 10 a second; a request costs a few.
  dialect.rate_limit_low_water = 200;
  dialect.drain_per_second = 10;
  (*session)->set_dialect(dialect);
  return std::unique_ptr<Source>(
      std::make_unique<CanvasSource>(settings.name, std::move(*session), std::move(streams),
                                     std::move(*options), *context.clock, context.log));
}

}  // namespace ferry::connectors::canvas
