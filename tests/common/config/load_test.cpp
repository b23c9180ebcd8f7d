// A valid file decodes into the typed values it says, with defaults for what it leaves out.
#include "common/config/load.hpp"

#include <cstdlib>

#include <catch2/catch.hpp>

#include "tests/common/config/test_catalog.hpp"
#include "tests/support/env_var.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry::config;
using namespace std::chrono_literals;
using ferry::config::test::diagnostics_of;
using ferry::config::test::native_path;
using ferry::config::test::test_catalog;

namespace {

constexpr std::string_view kFull = R"(agent:
  id: school-042
  tenant: district-7
  data_dir: /var/lib/ferry
  control_socket: /run/ferry/control.sock
  log: {level: debug, file: /var/log/ferry/ferry.log, max_size: 20MiB, max_files: 5}
uplink:
  enabled: true
  url: wss://ingest.example.org/v1/agent
  token: tok-123
  tenant_public_key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
  proxy: http://user:pass@proxy:3128
  max_in_flight: 16
  allow_commands: [sync_now]
  batch: {max_rows: 500, max_bytes: 4MiB, max_delay: 500ms}
spool:
  max_bytes: 2GiB
  when_full: drop_oldest
sources:
  - name: sis
    type: oneroster_csv
    schedule: every 15m
    path: /srv/exports/oneroster
    preset: oneroster
    streams:
      users:
        key: sourcedId
        default: drop
        fields:
          sourcedId: {transform: pseudonymize, domain: user}
          email: {transform: hash, domain: email, normalize: lower}
          agentSourcedIds: {transform: pseudonymize, domain: user, list: true}
          birthDate: {transform: generalize, to: year_month}
          postcode: {transform: generalize, prefix: 3}
          age: {transform: generalize, bucket: 5}
          grades: keep
          phone: drop
          Password: drop
  - name: lunch
    type: sqlite
    schedule: "0 6 * * mon-fri"
    path: /srv/lunch.db
    streams:
      meals:
        query: SELECT * FROM meals
        cursor: updated_at
        default: keep
)";

// A POSIX path in the tests' configuration as it resolves here (test::native_path), for a
// configuration file in /etc/ferry.
std::filesystem::path native(std::string_view posix) {
  return native_path(posix, "/etc/ferry/ferry.yaml");
}

Settings load_ok(std::string_view yaml,
                 const std::filesystem::path& file = "/etc/ferry/ferry.yaml") {
  auto loaded = load_config_text(yaml, file, test_catalog());
  if (!loaded) {
    for (const Diagnostic& d : loaded.error()) UNSCOPED_INFO(d.to_string());
  }
  REQUIRE(loaded);
  return std::move(*loaded);
}

const FieldPolicy& field(const StreamSettings& stream, std::string_view name) {
  for (const FieldPolicy& f : stream.fields) {
    if (f.name == name) return f;
  }
  FAIL("no field " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a full valid config decodes into the expected typed values") {
  const Settings s = load_ok(kFull);
  CHECK(s.file == "/etc/ferry/ferry.yaml");
  CHECK(s.agent.id == "school-042");
  CHECK(s.agent.tenant == "district-7");
  CHECK(s.agent.data_dir == native("/var/lib/ferry"));
  CHECK(s.agent.data_dir_at.line == 4);
  CHECK(s.agent.data_dir_at.column == 13);
  CHECK(s.agent.control_socket == native("/run/ferry/control.sock"));
  CHECK(s.agent.log.level == "debug");
  CHECK(s.agent.log.file == native("/var/log/ferry/ferry.log"));
  CHECK(s.agent.log.max_size == 20u * 1024 * 1024);
  CHECK(s.agent.log.max_files == 5);

  CHECK(s.uplink.enabled);
  CHECK(s.uplink.url == "wss://ingest.example.org/v1/agent");
  CHECK(s.uplink.token == "tok-123");
  CHECK_FALSE(s.uplink.token_file);
  REQUIRE(s.uplink.tenant_public_key.size() == 32);
  CHECK(s.uplink.tenant_public_key[0] == 0);
  CHECK(s.uplink.tenant_public_key[31] == 31);
  CHECK(s.uplink.proxy == "http://user:pass@proxy:3128");
  CHECK(s.uplink.max_in_flight == 16);
  CHECK(s.uplink.allow_commands == std::vector<std::string>{"sync_now"});
  CHECK(s.uplink.batch.max_rows == 500);
  CHECK(s.uplink.batch.max_bytes == 4u * 1024 * 1024);
  CHECK(s.uplink.batch.max_delay == 500ms);

  CHECK(s.spool.max_bytes == 2ull * 1024 * 1024 * 1024);
  CHECK(s.spool.when_full == WhenFull::kDropOldest);

  REQUIRE(s.sources.size() == 2);
  const SourceSettings& sis = s.sources[0];
  CHECK(sis.name == "sis");
  CHECK(sis.type == "oneroster_csv");
  CHECK(sis.at.line == 20);
  CHECK(sis.schedule.kind == Schedule::Kind::kEvery);
  CHECK(sis.schedule.every == 15min);
  CHECK(sis.preset == "oneroster");
  REQUIRE(sis.options.count("path") == 1);
  CHECK(std::get<std::string>(sis.options.at("path").value) ==
        native("/srv/exports/oneroster").string());
  CHECK(sis.options.at("path").at.line == 23);
  REQUIRE(sis.streams.size() == 1);
  const StreamSettings& users = sis.streams[0];
  CHECK(users.name == "users");
  CHECK(users.key == "sourcedId");
  CHECK(users.default_transform == Transform::kDrop);
  CHECK(users.fields.size() == 9);
  CHECK(users.fields[0].name == "sourcedId");  // file order is kept

  const FieldPolicy& id = field(users, "sourcedId");
  CHECK(id.transform == Transform::kPseudonymize);
  CHECK(id.domain == "user");
  CHECK(id.normalize == Normalize::kNone);
  CHECK_FALSE(id.list);
  CHECK(id.at.line == 30);
  const FieldPolicy& email = field(users, "email");
  CHECK(email.transform == Transform::kHash);
  CHECK(email.domain == "email");
  CHECK(email.normalize == Normalize::kLower);
  CHECK(field(users, "agentSourcedIds").list);
  CHECK(field(users, "birthDate").transform == Transform::kGeneralize);
  CHECK(field(users, "birthDate").generalize.kind == Generalize::Kind::kYearMonth);
  CHECK(field(users, "postcode").generalize.kind == Generalize::Kind::kPrefix);
  CHECK(field(users, "postcode").generalize.n == 3);
  CHECK(field(users, "age").generalize.kind == Generalize::Kind::kBucket);
  CHECK(field(users, "age").generalize.n == 5);
  CHECK(field(users, "grades").transform == Transform::kKeep);
  CHECK(field(users, "phone").transform == Transform::kDrop);
  CHECK(field(users, "Password").transform == Transform::kDrop);

  const SourceSettings& lunch = s.sources[1];
  CHECK(lunch.type == "sqlite");
  CHECK(lunch.schedule.kind == Schedule::Kind::kCron);
  CHECK(lunch.schedule.cron == "0 6 * * mon-fri");
  CHECK(lunch.schedule.cron_spec.days_of_week.count() == 5);
  CHECK_FALSE(lunch.preset);
  REQUIRE(lunch.streams.size() == 1);
  CHECK(lunch.streams[0].default_transform == Transform::kKeep);
  CHECK(std::get<std::string>(lunch.streams[0].options.at("query").value) == "SELECT * FROM meals");
  CHECK(std::get<std::string>(lunch.streams[0].options.at("cursor").value) == "updated_at");
}

TEST_CASE("defaults apply to everything a minimal config leaves out") {
  const Settings s = load_ok(R"(agent: {id: a, tenant: t, data_dir: /var/lib/ferry}
uplink:
  url: wss://ingest.example.org/v1/agent
  token: x
  tenant_public_key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
sources:
  - {name: sis, type: oneroster_csv, path: /srv/x, streams: {users: {fields: {id: keep}}}}
)");
  CHECK(s.agent.control_socket == native("/var/lib/ferry/control.sock"));
  CHECK(s.agent.log.level == "info");
  CHECK_FALSE(s.agent.log.file);
  CHECK(s.agent.log.max_size == 10u * 1024 * 1024);
  CHECK(s.agent.log.max_files == 10);
  CHECK(s.uplink.enabled);
  CHECK_FALSE(s.uplink.ca_file);
  CHECK_FALSE(s.uplink.client_cert);
  CHECK_FALSE(s.uplink.proxy);
  CHECK(s.uplink.max_in_flight == 8);
  CHECK(s.uplink.allow_commands.empty());
  CHECK(s.uplink.batch.max_rows == 10000);
  CHECK(s.uplink.batch.max_bytes == 8u * 1024 * 1024);
  CHECK(s.uplink.batch.max_delay == 2s);
  CHECK(s.spool.max_bytes == 1024ull * 1024 * 1024);
  CHECK(s.spool.when_full == WhenFull::kPause);
  REQUIRE(s.sources.size() == 1);
  CHECK(s.sources[0].schedule.kind == Schedule::Kind::kEvery);
  CHECK(s.sources[0].schedule.every == 1h);
  CHECK_FALSE(s.sources[0].preset);
  CHECK(s.sources[0].streams[0].key.empty());
  CHECK(s.sources[0].streams[0].default_transform == Transform::kDrop);
}

TEST_CASE("an offline config needs no url or token, only the tenant key") {
  const Settings s = load_ok(
      "agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, tenant_public_key: "
      "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n");
  CHECK_FALSE(s.uplink.enabled);
  CHECK(s.uplink.url.empty());
  CHECK(s.uplink.token.empty());
  CHECK(s.sources.empty());
}

TEST_CASE("relative paths are resolved against the config file's folder") {
  const Settings s = load_ok(R"(agent:
  id: a
  tenant: t
  data_dir: state
  log: {file: ../log/ferry.log}
uplink: {enabled: false, tenant_public_key: "ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE="}
sources:
  - {name: lunch, type: sqlite, path: ./db/lunch.db}
)",
                             "/etc/ferry/ferry.yaml");
  CHECK(s.agent.data_dir == native("/etc/ferry/state"));
  CHECK(s.agent.control_socket == native("/etc/ferry/state/control.sock"));
  CHECK(s.agent.log.file == native("/etc/log/ferry.log"));
  CHECK(std::get<std::string>(s.sources[0].options.at("path").value) ==
        native("/etc/ferry/db/lunch.db").string());
}

TEST_CASE("env references are expanded in every string value") {
  ferry::test::set_env("FERRY_TEST_TENANT", "district-7");
  ferry::test::set_env("FERRY_TEST_INFLIGHT", "32");
  ferry::test::set_env("FERRY_TEST_EMPTY", "");
  const Settings s = load_ok(R"(agent: {id: a, tenant: "${FERRY_TEST_TENANT}", data_dir: /d}
uplink:
  url: wss://ingest.example.org/${FERRY_TEST_TENANT}
  token: "tok${FERRY_TEST_EMPTY}"
  tenant_public_key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
  max_in_flight: ${FERRY_TEST_INFLIGHT}
sources:
  - {name: lunch, type: sqlite, path: /db, streams: {meals: {query: "SELECT '$${x}'"}}}
)");
  CHECK(s.agent.tenant == "district-7");
  CHECK(s.uplink.url == "wss://ingest.example.org/district-7");
  CHECK(s.uplink.token == "tok");
  CHECK(s.uplink.max_in_flight == 32);
  CHECK(std::get<std::string>(s.sources[0].streams[0].options.at("query").value) ==
        "SELECT '${x}'");
  ferry::test::unset_env("FERRY_TEST_TENANT");
  ferry::test::unset_env("FERRY_TEST_INFLIGHT");
  ferry::test::unset_env("FERRY_TEST_EMPTY");
}

TEST_CASE("a config file is read from disk") {
  ferry::test::TempDir dir;
  const auto file =
      dir.write("ferry.yaml",
                "agent: {id: a, tenant: t, data_dir: d}\nuplink: {enabled: false, "
                "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n");
  auto loaded = load_config(file, test_catalog());
  REQUIRE(loaded);
  CHECK(loaded->agent.data_dir == dir.path() / "d");
  CHECK(loaded->file == file);
}

TEST_CASE("a diagnostic prints as file, line, column and message") {
  const Diagnostic d{"/etc/ferry/ferry.yaml", Location{12, 5}, "unknown key 'x' in uplink"};
  CHECK(d.to_string() == "/etc/ferry/ferry.yaml:12:5: unknown key 'x' in uplink");
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n")
            .empty());
}
