// Typed settings of the configuration file (SPEC section 3). Produced by load_config() from YAML;
// everything here is already validated, so code that receives Settings never re-checks it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/config/cron.hpp"
#include "common/config/date_format.hpp"
#include "common/config/duration.hpp"

namespace ferry::config {

// Duration (std::chrono::milliseconds) is declared in duration.hpp, with its parser.

// Where a value was written in the file, for messages that point at it. 1-based; 0 = unknown.
struct Location {
  int line = 0;
  int column = 0;
};

struct LogSettings {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  std::optional<std::filesystem::path> file;
  std::uint64_t max_size = 10ull * 1024 * 1024;
  int max_files = 10;
  // log.max_age: log files whose last line is older than this are removed (the three months
  // education vendors commonly promise).
  Duration max_age = std::chrono::hours(24 * 90);
};

struct AgentSettings {
  std::string id;
  std::string tenant;
  std::filesystem::path data_dir;
  Location data_dir_at;
  std::filesystem::path control_socket;  // defaults to <data_dir>/control.sock
  Location control_socket_at;            // of agent.control_socket, else of data_dir
  LogSettings log;
  // agent.audit.retention: audit log entries older than this are trimmed (the chain stays
  // verifiable from the first entry kept).
  Duration audit_retention = std::chrono::hours(24 * 90);
  // agent.metrics: "127.0.0.1:9464" serves Prometheus text at http://ADDRESS/metrics; off when
  // unset. Loopback addresses only: the endpoint has no authentication.
  std::string metrics_host;  // "127.0.0.1" or "::1"; "" when off
  std::uint16_t metrics_port = 0;
  // agent.key_rotation_period: `ferry status`, `ferry check` and the metrics call the active key
  // due for `ferry keys rotate` once it is older than this; never when unset (the default).
  std::optional<Duration> key_rotation_period;
};

struct BatchSettings {
  std::uint64_t max_rows = 10000;
  std::uint64_t max_bytes = 8ull * 1024 * 1024;
  Duration max_delay = std::chrono::seconds(2);
};

// Re-dial delays: exponential with full jitter between min_delay and max_delay.
struct ReconnectSettings {
  Duration min_delay = std::chrono::seconds(1);
  Duration max_delay = std::chrono::minutes(5);
};

struct UplinkSettings {
  bool enabled = true;
  std::string url;                                  // wss://host[:port]/path
  std::string token;                                // from `token` or read from `token_file`
  std::optional<std::filesystem::path> token_file;  // set when the token came from a file
  std::vector<std::uint8_t> tenant_public_key;      // 32 bytes (X25519)
  std::optional<std::filesystem::path> tenant_public_key_file;  // set when read from a file
  // The tenant's next key (docs/key-rotation.md): empty when not configured. Batches are sealed
  // to it once the tenant's welcome names it.
  std::vector<std::uint8_t> tenant_next_public_key;
  std::optional<std::filesystem::path> tenant_next_public_key_file;
  std::optional<std::filesystem::path> ca_file;
  std::optional<std::filesystem::path> client_cert;
  std::optional<std::filesystem::path> client_key;
  std::optional<std::string> proxy;  // http://[user:pass@]host:port
  int max_in_flight = 8;
  std::vector<std::string> allow_commands;  // default none
  BatchSettings batch;
  // A ping goes out after half of this without traffic; the connection is dropped after all of it.
  Duration idle_timeout = std::chrono::seconds(45);
  ReconnectSettings reconnect;
};

enum class WhenFull { kPause, kDropOldest };

struct SpoolSettings {
  std::uint64_t max_bytes = 1024ull * 1024 * 1024;
  WhenFull when_full = WhenFull::kPause;
};

enum class Transform { kDrop, kKeep, kPseudonymize, kHash, kGeneralize };
enum class Normalize { kNone, kLower };

struct Generalize {
  enum class Kind { kYear, kYearMonth, kPrefix, kBucket };
  Kind kind = Kind::kYear;
  std::int64_t n = 0;  // characters for kPrefix, bucket width for kBucket
  // For kYear and kYearMonth: how to read a value that is not ISO 8601 (`date_format:`).
  std::optional<DateFormat> date_format;
};

// A map option's entries (OptionKind::kStringMap), in the order written.
using StringPairs = std::vector<std::pair<std::string, std::string>>;

// A connector-specific option value, typed by the connector's option table (see catalog.hpp).
struct OptionValue {
  std::variant<std::string, std::int64_t, bool, Duration, std::vector<std::string>, StringPairs>
      value;
  Location at;
};

// The value of connector option `name` as a T (the kind its table declares), nullptr when it is
// not set.
template <typename T>
const T* option_as(const std::map<std::string, OptionValue, std::less<>>& options,
                   std::string_view name) {
  const auto found = options.find(name);
  return found == options.end() ? nullptr : std::get_if<T>(&found->second.value);
}

// The policy of one column: `email: {transform: hash, domain: email, normalize: lower}`.
struct FieldPolicy {
  std::string name;  // column name as written
  Transform transform = Transform::kDrop;
  std::string domain;  // for kPseudonymize and kHash
  Normalize normalize = Normalize::kNone;
  bool list = false;      // split on ',' and transform each element
  Generalize generalize;  // for kGeneralize
  Location at;
};

// `streams.<name>` of a source: key column, default for unlisted columns, per-field policies, and
// connector-specific stream options (a SQL query, say).
struct StreamSettings {
  std::string name;
  std::string key;  // the key column, or a composite key's first; "" when not given
  // A composite key's further columns (`key: [classSourcedId, userSourcedId]`), in order; empty
  // for a single key. The columns together identify a row (docs/configuration.md, "Keys").
  std::vector<std::string> more_keys;
  Transform default_transform = Transform::kDrop;  // only kDrop or kKeep
  bool default_given = false;                      // `default:` was written
  // `extends: preset`: start from the preset's stream of this name and change only the fields
  // (and key, default) written here, instead of replacing the preset's stream as a whole.
  bool extends_preset = false;
  std::vector<FieldPolicy> fields;
  Location at;
  std::map<std::string, OptionValue, std::less<>> options;
};

// Every key column of `stream` in order: {} when it names none, one for a single key.
inline std::vector<std::string> key_columns(const StreamSettings& stream) {
  std::vector<std::string> columns;
  if (stream.key.empty()) return columns;
  columns.push_back(stream.key);
  columns.insert(columns.end(), stream.more_keys.begin(), stream.more_keys.end());
  return columns;
}

struct Schedule {
  enum class Kind { kEvery, kCron };
  Kind kind = Kind::kEvery;
  Duration every = std::chrono::hours(1);
  std::string cron;    // the 5-field expression as written, already validated
  CronSpec cron_spec;  // the same, parsed: cron_spec.next_after(now) gives the next run (UTC)
};

// `sftp:` of a file source (oneroster_csv, csv): where the export is fetched from instead of a
// local `path` (docs/connectors/sftp.md). Secrets are read from their files when the file is
// loaded (unless LoadOptions::read_secret_files is false); their text never reaches a message.
struct SftpSettings {
  std::string host;
  std::uint16_t port = 22;
  std::string user;
  std::optional<std::filesystem::path> private_key_file;
  std::optional<std::filesystem::path> passphrase_file;
  std::optional<std::filesystem::path> password_file;
  std::optional<std::string> passphrase;  // from passphrase_file
  std::optional<std::string> password;    // from password_file or `password: ${VAR}`
  // The server's host key: exactly one of the two, except that `ferry check` loads a source with
  // neither (LoadOptions::allow_unpinned_host_keys) to show the key the server offers.
  std::string host_key;  // "SHA256:<base64>", as `ssh-keygen -lf` prints it; "" when not set
  std::optional<std::filesystem::path> known_hosts;
  std::string path;  // remote folder, file, or glob in the last part (newest match by mtime)
  // A remote file must be unchanged this long (by its modification time) before it is read.
  Duration settle = std::chrono::seconds(30);
  // Bounds the connect, each authentication step and each wait for the server's data.
  Duration timeout = std::chrono::seconds(30);
  // The agent's data_dir: the owner trusted with the key and password files when root runs Ferry.
  std::filesystem::path service_dir;
  Location at;
};

// `auth:` of an API source: how Ferry logs in to the API. Each secret is given either by a file
// (`*_file`, read when the configuration is loaded, its path kept here) or inline from the
// environment (`client_secret: ${VAR}`); its text is never put in a message or a log line.
struct OAuth2Auth {
  std::string token_url{};  // https
  std::string client_id{};
  std::optional<std::filesystem::path> client_secret_file{};
  std::string client_secret{};  // from the file or `client_secret: ${VAR}`
  std::string scope{};          // "" when not set
};
struct OAuth1Auth {
  std::string consumer_key{};
  std::optional<std::filesystem::path> consumer_secret_file{};
  std::string consumer_secret{};
};
struct BearerAuth {
  std::optional<std::filesystem::path> token_file{};
  std::string token{};
};
struct BasicAuth {
  std::string user{};  // no ':' (basic authentication separates user and password with it)
  std::optional<std::filesystem::path> password_file{};
  std::string password{};
};
using ApiAuth = std::variant<std::monostate, OAuth2Auth, OAuth1Auth, BearerAuth, BasicAuth>;

// The HTTP side of an API source (SourceTypeSpec::api_source): docs/configuration.md "API sources".
struct ApiSettings {
  std::string url{};  // as written; https, no user or password, no query, no fragment
  std::optional<std::filesystem::path> ca_file{};  // readable, holds PEM certificates
  std::optional<std::string> proxy{};              // validated: http://[user:pass@]host:port
  // One of the four methods after a valid load. With LoadOptions::read_secret_files false, a
  // secret given by file is left "" (its path is set); one given inline is read all the same.
  ApiAuth auth{};
  // Each phase of a request: connect, TLS handshake, the answer's head, each wait for body data.
  Duration timeout = std::chrono::seconds(30);
  Duration request_timeout = std::chrono::minutes(10);    // one request, whole; >= timeout
  std::int64_t max_response_bytes = 256LL * 1024 * 1024;  // a larger answer fails the request
  double rate_limit = 0;  // requests a second, at most 1000; 0: no limit
  int retries = 5;        // attempts after the first for 429, 5xx and network errors; 0-20
  std::filesystem::path service_dir{};  // the agent's data_dir (owner trusted with secret files)
  Location at{};                        // of the source
};

struct SourceSettings {
  std::string name;
  std::string type;
  Schedule schedule;
  std::optional<std::string> preset;
  std::vector<StreamSettings> streams;
  // A snapshot run that would delete more than this share of a stream's rows is held until
  // `ferry sync --allow-mass-delete` (a truncated or empty export must not wipe the tenant).
  int mass_delete_percent = 20;
  // stale_after: the source is flagged (status, check, metrics) when its data has not changed for
  // longer than this; never when unset.
  std::optional<Duration> stale_after;
  std::map<std::string, OptionValue, std::less<>> options;  // connector-specific keys (path, ...)
  // For a file source (SourceTypeSpec::file_source): set when the export is fetched over SFTP,
  // in place of the `path` option.
  std::optional<SftpSettings> sftp;
  std::optional<ApiSettings> api;  // set for an API source (SourceTypeSpec::api_source)
  Location at;
};

struct Settings {
  std::filesystem::path file;  // the file these came from
  AgentSettings agent;
  UplinkSettings uplink;
  SpoolSettings spool;
  std::vector<SourceSettings> sources;
};

}  // namespace ferry::config
