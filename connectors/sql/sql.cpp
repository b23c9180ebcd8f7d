#include "connectors/sql/sql.hpp"

#include <openssl/crypto.h>

#include "common/config/overlay.hpp"
#include "connectors/sql/moodle.hpp"
#include "connectors/sql/odbc_engine.hpp"
#include "connectors/sqlite_query/query_config.hpp"
#include "connectors/sqlite_query/query_source.hpp"

namespace ferry::connectors::sql {
namespace {

constexpr std::int64_t kMaxFetchRows = 100'000;

}  // namespace

config::SourceTypeSpec spec() {
  using config::OptionKind;
  return {
      .type = "sql",
      .description =
          "database server through ODBC (PostgreSQL, MariaDB/MySQL, SQL Server), read "
          "with one query per stream",
      .options =
          {
              {"connection", OptionKind::kString, true,
               "ODBC connection string, without the password: \"Driver=PostgreSQL "
               "Unicode;Server=db1;Port=5432;Database=sis;Uid=ferry\" or \"DSN=sis\""},
              {"password_file", OptionKind::kPath, false,
               "file holding the database password on one line (mode 0600, the agent's own)"},
              {"password", OptionKind::kString, false,
               "the password from the environment (password: ${DB_PASSWORD}), in place of "
               "password_file",
               true},
              {"connect_timeout", OptionKind::kDuration, false,
               "how long a connection and login may take (default 30s)"},
              {"statement_timeout", OptionKind::kDuration, false,
               "how long one query or a wait for a lock may take before the run gives up until "
               "the next poll (default 10m)"},
              {"fetch_rows", OptionKind::kInteger, false,
               "rows fetched from the server at a time, at most (default 5000)"},
              {"keep_open", OptionKind::kBool, false,
               "keep the connection open between runs (default false: closed after each run)"},
              {"table_prefix", OptionKind::kString, false,
               "what {prefix} stands for in the queries, such as those of preset: moodle "
               "(default mdl_)"},
              sqlite_query::checkpoint_rows_option(),
          },
      .stream_options = sqlite_query::query_stream_options(),
      .file_source = false,
      .presets = {"moodle"},
  };
}

Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context) {
  std::string prefix = "mdl_";
  if (const std::string* written = sqlite_query::text_option(settings.options, "table_prefix")) {
    prefix = *written;
  }
  if (prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
      std::string::npos) {
    return make_error(ErrorCode::kConfig,
                      "source '{}': table_prefix '{}' may hold only letters, digits and _",
                      settings.name, prefix);
  }
  // The preset's streams, with the ones written over them, and {prefix} in every query.
  config::SourceSettings effective = settings;
  std::vector<config::StreamSettings> preset;
  if (settings.preset && *settings.preset == "moodle") preset = moodle_preset_streams();
  effective.streams = config::overlay_streams(std::move(preset), settings.streams);
  for (config::StreamSettings& stream : effective.streams) {
    if (auto it = stream.options.find("query"); it != stream.options.end()) {
      if (auto* query = std::get_if<std::string>(&it->second.value)) {
        *query = with_table_prefix(*query, prefix);
      }
    }
  }
  auto config = sqlite_query::read_query_config(effective);
  if (!config) return tl::unexpected(config.error());
  config->binary = sqlite_query::BinaryText::kBase64;

  OdbcOptions options;
  options.service_dir = context.service_dir;
  if (const std::string* connection = sqlite_query::text_option(settings.options, "connection")) {
    options.connection = *connection;
  }
  const auto* file = sqlite_query::text_option(settings.options, "password_file");
  const auto* password = sqlite_query::text_option(settings.options, "password");
  if (file != nullptr && password != nullptr) {
    return make_error(ErrorCode::kConfig,
                      "source '{}': both password_file and password are set: keep one",
                      settings.name);
  }
  if (password != nullptr) options.password = *password;
  if (file != nullptr) {
    options.password_file = *file;
    // Read once now so that a missing or exposed file stops the agent at its start; the engine
    // reads it again at each run, so a changed password needs no restart.
    auto text = read_password(options);
    if (!text) {
      return make_error(text.error().code, "source '{}': {}", settings.name, text.error().message);
    }
    OPENSSL_cleanse(text->data(), text->size());
  }
  auto duration = [&](std::string_view name, config::Duration& out) {
    if (auto it = settings.options.find(name); it != settings.options.end()) {
      if (const auto* value = std::get_if<config::Duration>(&it->second.value)) out = *value;
    }
  };
  duration("connect_timeout", options.connect_timeout);
  duration("statement_timeout", options.statement_timeout);
  if (auto it = settings.options.find("fetch_rows"); it != settings.options.end()) {
    const auto* rows = std::get_if<std::int64_t>(&it->second.value);
    if (rows == nullptr || *rows < 1 || *rows > kMaxFetchRows) {
      return make_error(ErrorCode::kConfig, "source '{}': fetch_rows must be from 1 to {}",
                        settings.name, kMaxFetchRows);
    }
    options.fetch_rows = static_cast<std::size_t>(*rows);
  }
  if (auto it = settings.options.find("keep_open"); it != settings.options.end()) {
    if (const auto* keep = std::get_if<bool>(&it->second.value)) options.keep_open = *keep;
  }
  auto engine = make_odbc_engine(std::move(options));
  if (!engine) {
    return make_error(engine.error().code, "source '{}': {}", settings.name,
                      engine.error().message);
  }
  return std::make_unique<sqlite_query::QuerySource>(std::move(*config), std::move(*engine));
}

}  // namespace ferry::connectors::sql
