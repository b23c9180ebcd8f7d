// Each class of mistake in the agent, uplink and spool sections gives its own one-line message at
// the line and column of the offending node.
#include <catch2/catch.hpp>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/support/env_var.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::config::test::diagnostics_of;
using Lines = std::vector<std::string>;

namespace {

constexpr std::string_view kKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// An uplink section that is valid apart from what each test adds below it.
std::string uplink_with(std::string_view extra) {
  return std::string(R"(agent: {id: a, tenant: t, data_dir: /d}
uplink:
  url: wss://ingest.example.org/v1/agent
  token: secret-token-value
  tenant_public_key: )") +
         std::string(kKey) + "\n" + std::string(extra);
}

}  // namespace

TEST_CASE("an unknown key is reported with the closest known key") {
  CHECK(diagnostics_of(uplink_with("  max_infligth: 4\n")) ==
        Lines{"ferry.yaml:6:3: unknown key 'max_infligth' in uplink (did you mean "
              "'max_in_flight'?)"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplnk: {enabled: false}\n") ==
        Lines{"ferry.yaml:1:1: missing required key 'uplink' at the top level (add the uplink "
              "section, or uplink: {enabled: false} for an agent that only spools)",
              "ferry.yaml:2:1: unknown key 'uplnk' at the top level (did you mean 'uplink'?)"});
}

TEST_CASE("an unknown key with no close match lists the known keys") {
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d, colour: blue}\n"
                       "uplink: {enabled: false, tenant_public_key: "
                       "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:1:41: unknown key 'colour' in agent (known keys: id, tenant, data_dir, "
              "control_socket, log, audit, metrics, key_rotation_period)"});
}

TEST_CASE("a missing section or key is reported at the map that should hold it") {
  CHECK(diagnostics_of("agent:\n  id: a\n  data_dir: /d\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:2:3: missing required key 'tenant' in agent (the tenant id your "
              "provider gave you)"});
  CHECK(diagnostics_of("uplink: {enabled: false, tenant_public_key: "
                       "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:1:1: missing required key 'agent' at the top level (with id, tenant and "
              "data_dir)"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\n") ==
        Lines{"ferry.yaml:1:1: missing required key 'uplink' at the top level (add the uplink "
              "section, or uplink: {enabled: false} for an agent that only spools)"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink:\n  token: x\n"
                       "  tenant_public_key: " +
                       std::string(kKey) + "\n") ==
        Lines{"ferry.yaml:3:3: missing required key 'url' in uplink (as in url: "
              "wss://ingest.example.org/v1/agent; or enabled: false to only spool)"});
}

TEST_CASE("a value of the wrong type names the key and what was expected") {
  CHECK(diagnostics_of("agent: {id: [a, b], tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:1:13: agent.id must be a text value, not a list"});
  CHECK(diagnostics_of(uplink_with("  max_in_flight: abc\n")) ==
        Lines{"ferry.yaml:6:18: uplink.max_in_flight must be a whole number from 1 to 1024, got "
              "'abc'"});
  CHECK(diagnostics_of(uplink_with("  max_in_flight: 2000\n")) ==
        Lines{"ferry.yaml:6:18: uplink.max_in_flight must be a whole number from 1 to 1024, got "
              "'2000'"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: yes}\n") ==
        Lines{"ferry.yaml:2:19: uplink.enabled must be true or false, got 'yes'"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: [enabled]\n") ==
        Lines{"ferry.yaml:2:9: uplink must be a map (indented key: value lines), not a list"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n"
                       "spool:\n  when_full: paus\n") ==
        Lines{"ferry.yaml:4:14: spool.when_full must be pause or drop_oldest, got 'paus' (did you "
              "mean 'pause'?)"});
}

TEST_CASE("a key with no value says so at the key") {
  CHECK(diagnostics_of("agent:\n  id:\n  tenant: t\n  data_dir: /d\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:2:3: agent.id has no value: write a text value after 'id:'"});
}

TEST_CASE("a bad token type names the key but never echoes the token") {
  const Lines lines = diagnostics_of(R"(agent: {id: a, tenant: t, data_dir: /d}
uplink:
  url: wss://ingest.example.org/v1/agent
  token: {value: super-secret-123}
  tenant_public_key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
)");
  CHECK(lines == Lines{"ferry.yaml:4:10: uplink.token must be a text value, not a map"});
  for (const std::string& line : lines) CHECK(line.find("super-secret") == std::string::npos);
}

TEST_CASE("a ws:// uplink url is refused because TLS is required") {
  CHECK(diagnostics_of(R"(agent: {id: a, tenant: t, data_dir: /d}
uplink:
  url: ws://ingest.example.org/v1/agent
  token: x
  tenant_public_key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
)") == Lines{"ferry.yaml:3:8: uplink.url must start with wss://: TLS is required, and ws:// "
             "would send data unencrypted"});
  CHECK(diagnostics_of(R"(agent: {id: a, tenant: t, data_dir: /d}
uplink:
  url: https://ingest.example.org
  token: x
  tenant_public_key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
)") == Lines{"ferry.yaml:3:8: uplink.url must be a wss:// URL, as in "
             "wss://ingest.example.org/v1/agent"});
}

TEST_CASE("durations and sizes report unknown units and nonsense values") {
  CHECK(diagnostics_of(uplink_with("  batch: {max_delay: 2x}\n")) ==
        Lines{"ferry.yaml:6:22: uplink.batch.max_delay: unknown unit 'x' in duration '2x' (use "
              "ms, s, m, h or d, as in 500ms, 2s, 15m, 1h, 1d)"});
  CHECK(diagnostics_of(uplink_with("  batch: {max_delay: 0s}\n")) ==
        Lines{"ferry.yaml:6:22: uplink.batch.max_delay must be more than 0, got '0s'"});
  CHECK(diagnostics_of(uplink_with("  batch: {max_delay: -2s}\n")) ==
        Lines{"ferry.yaml:6:22: uplink.batch.max_delay: '-2s' is negative: a duration must be 0 "
              "or more"});
  CHECK(diagnostics_of(uplink_with("spool: {max_bytes: 8XB}\n")) ==
        Lines{"ferry.yaml:6:20: spool.max_bytes: unknown unit 'XB' in size '8XB' (use B, KiB, "
              "MiB, GiB, TiB (1024-based) or KB, MB, GB, TB (1000-based))"});
  CHECK(diagnostics_of(uplink_with("spool: {max_bytes: 4KiB}\n")) ==
        Lines{"ferry.yaml:6:20: spool.max_bytes must be at least 1MiB, got '4KiB'"});
  CHECK(diagnostics_of(uplink_with("  batch: {max_bytes: 64MiB}\nspool: {max_bytes: 16MiB}\n")) ==
        Lines{"ferry.yaml:7:20: spool.max_bytes (16MiB) is smaller than uplink.batch.max_bytes "
              "(64MiB): a batch would never fit; raise spool.max_bytes"});
}

TEST_CASE("an unset environment variable is named at the value that uses it") {
  ferry::test::unset_env("FERRY_TEST_UNSET_TOKEN");
  CHECK(diagnostics_of(R"(agent: {id: a, tenant: t, data_dir: /d}
uplink:
  url: wss://ingest.example.org/v1/agent
  token: ${FERRY_TEST_UNSET_TOKEN}
  tenant_public_key: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
)") == Lines{"ferry.yaml:4:10: uplink.token: environment variable FERRY_TEST_UNSET_TOKEN is not "
             "set: set it for ferry (for a service, in its environment file) or write the value "
             "here"});
}

TEST_CASE("a duplicate YAML key is reported at the second with the line of the first") {
  CHECK(
      diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink:\n  enabled: false\n  "
                     "tenant_public_key: ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\n"
                     "  enabled: true\n") ==
      Lines{"ferry.yaml:5:3: duplicate key 'enabled' in uplink (first at line 3): keep only one"});
}

TEST_CASE("a YAML syntax error is reported at the parser's position") {
  CHECK(diagnostics_of("agent:\n  id: a\n tenant: t\n") ==
        Lines{"ferry.yaml:3:2: YAML syntax error: end of map not found (check the indentation "
              "and quotes here and on the lines just above)"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t\nuplink: x\n").size() == 1);
}

TEST_CASE("a YAML syntax error from tabs or an unquoted star gets the likely fix") {
  CHECK(diagnostics_of("agent:\n\tid: a\n") ==
        Lines{"ferry.yaml:2:4: YAML syntax error: illegal map value (YAML does not allow tabs for "
              "indentation: use spaces)"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n"
                       "sources:\n  - name: sis\n    schedule: */15 * * * *\n") ==
        Lines{"ferry.yaml:5:15: YAML syntax error: the referenced anchor is not defined (a value "
              "that starts with * or & must be quoted, as in schedule: \"*/15 * * * *\")"});
}

TEST_CASE("an empty file, a comment-only file and a list at the top are refused in one line") {
  const std::string empty =
      "ferry.yaml:1:1: the file is empty: it needs at least an agent section (id, tenant, "
      "data_dir) and an uplink section; see docs/examples/ferry.yaml";
  CHECK(diagnostics_of("") == Lines{empty});
  CHECK(diagnostics_of("# nothing yet\n\n") == Lines{empty});
  CHECK(diagnostics_of("- agent\n") ==
        Lines{"ferry.yaml:1:1: the file must be a map of sections (agent:, uplink:, spool:, "
              "sources:), not a list"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n---\n"
                       "x: 1\n") ==
        Lines{"ferry.yaml:4:1: the file holds more than one YAML document ('---'): keep one"});
}

TEST_CASE("a config file that cannot be read gives one diagnostic with the reason") {
  ferry::test::TempDir dir;
  const auto missing = dir / "nope.yaml";
  auto loaded = ferry::config::load_config(missing, ferry::config::test::test_catalog());
  REQUIRE_FALSE(loaded);
  REQUIRE(loaded.error().size() == 1);
  CHECK(loaded.error()[0].to_string() ==
        missing.string() +
            ":1:1: cannot read the configuration file: " + ferry::test::missing_file_reason());

  auto directory = ferry::config::load_config(dir.path(), ferry::config::test::test_catalog());
  REQUIRE_FALSE(directory);
  CHECK(directory.error()[0].message ==
        "cannot read the configuration file: it is a directory, not a file");
}

TEST_CASE("agent ids and control socket paths are checked") {
  CHECK(diagnostics_of("agent: {id: school 42, tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:1:13: agent.id 'school 42' may only use letters, digits, '.', '_' and "
              "'-' (it names folders on the tenant's side)"});
  const std::string deep(120, 'x');
  const std::string socket =
      ferry::config::test::native_path("/" + deep + "/control.sock", "ferry.yaml").string();
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /" + deep +
                       "}\nuplink: {enabled: false, tenant_public_key: "
                       "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:1:37: the control socket path " + socket + " is " +
              std::to_string(socket.size()) +
              " characters long, more than the 107 a Unix socket allows: set "
              "agent.control_socket to a shorter path"});
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d, log: {level: verbose}}\n"
                       "uplink: {enabled: false, tenant_public_key: "
                       "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n") ==
        Lines{"ferry.yaml:1:54: agent.log.level must be trace, debug, info, warn, error, critical "
              "or off, got 'verbose'"});
}

TEST_CASE("many mistakes are reported together, in file order") {
  const Lines lines = diagnostics_of(R"(agent:
  id: a
  data_dir: /d
  lgo: {level: info}
uplink:
  url: ws://ingest.example.org
  token: x
  tenant_public_key: not-base64!
  max_in_flight: 0
  batch: {max_delay: 5 minutes}
spool: {when_full: drop}
sources:
  - name: sis
    type: oneroster_csv
    schedule: every 15
)");
  CHECK(lines ==
        Lines{
            "ferry.yaml:2:3: missing required key 'tenant' in agent (the tenant id your provider "
            "gave you)",
            "ferry.yaml:4:3: unknown key 'lgo' in agent (did you mean 'log'?)",
            "ferry.yaml:6:8: uplink.url must start with wss://: TLS is required, and ws:// would "
            "send data unencrypted",
            "ferry.yaml:8:22: uplink.tenant_public_key is not valid base64: copy the public key "
            "exactly as `ferry-tenant keygen` printed it",
            "ferry.yaml:9:18: uplink.max_in_flight must be a whole number from 1 to 1024, got '0'",
            "ferry.yaml:10:22: uplink.batch.max_delay: unknown unit 'minutes' in duration '5 "
            "minutes' (use ms, s, m, h or d, as in 500ms, 2s, 15m, 1h, 1d)",
            "ferry.yaml:11:20: spool.when_full must be pause or drop_oldest, got 'drop'",
            "ferry.yaml:13:5: missing required key 'path' in source 'sis' (the local folder or "
            "file to read), or sftp: to fetch it from an SFTP server",
            "ferry.yaml:15:15: 'schedule' in source 'sis': '15' has no unit: add one of ms, s, m, "
            "h or d, as in 500ms, 2s, 15m, 1h, 1d",
        });
}
