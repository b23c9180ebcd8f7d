// Mistakes in sources, streams and field policies each give their own message at the right place.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"

using ferry::config::test::diagnostics_of;
using Lines = std::vector<std::string>;

namespace {

// Line 1-2 are a valid offline agent; sources start on line 3 with `sources:`.
std::string with_sources(std::string_view sources) {
  return "agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, tenant_public_key: "
         "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\nsources:\n" +
         std::string(sources);
}

// A oneroster_csv source `sis` whose stream `users` has the given `fields:` lines (from line 9).
std::string with_fields(std::string_view fields) {
  return with_sources(R"(  - name: sis
    type: oneroster_csv
    path: /srv/x
    streams:
      users:
        fields:
)") + std::string(fields);
}

}  // namespace

TEST_CASE("a duplicate source name is reported at the second with the first's line") {
  CHECK(diagnostics_of(with_sources(R"(  - name: sis
    type: oneroster_csv
    path: /a
  - name: sis
    type: oneroster_csv
    path: /b
)")) == Lines{"ferry.yaml:7:11: duplicate source name 'sis' (first used at line 4): give each "
              "source its own name"});
}

TEST_CASE("a source name outside a-z, 0-9, _ and - is refused") {
  CHECK(diagnostics_of(with_sources("  - {name: SIS, type: oneroster_csv, path: /a}\n")) ==
        Lines{"ferry.yaml:4:12: source name 'SIS' may only use a-z, 0-9, '_' and '-' (it names "
              "folders and status entries)"});
}

TEST_CASE("an unknown source type or preset is reported with a did-you-mean") {
  CHECK(diagnostics_of(with_sources("  - {name: sis, type: onerostr_csv, path: /a}\n")) ==
        Lines{"ferry.yaml:4:23: unknown source type 'onerostr_csv' in source 'sis' (did you mean "
              "'oneroster_csv'? known: oneroster_csv and sqlite)"});
  CHECK(diagnostics_of(
            with_sources("  - {name: sis, type: oneroster_csv, path: /a, preset: ims}\n")) ==
        Lines{"ferry.yaml:4:56: unknown preset 'ims' for type oneroster_csv in source 'sis' "
              "(known: oneroster)"});
  // A preset of another type is not one of this type's.
  CHECK(diagnostics_of(
            with_sources("  - {name: sis, type: oneroster_csv, path: /a, preset: clever}\n")) ==
        Lines{"ferry.yaml:4:56: unknown preset 'clever' for type oneroster_csv in source 'sis' "
              "(known: oneroster)"});
  // A type without presets takes none.
  CHECK(
      diagnostics_of(with_sources("  - {name: db, type: sqlite, path: /a, preset: oneroster}\n")) ==
      Lines{"ferry.yaml:4:48: unknown preset 'oneroster' for type sqlite in source 'db' "
            "(known: none)"});
  // none: no preset at all.
  CHECK(
      diagnostics_of(with_sources("  - {name: sis, type: oneroster_csv, path: /a, preset: none}\n"))
          .empty());
}

TEST_CASE("connector options are checked against the connector's table") {
  CHECK(diagnostics_of(with_sources("  - {name: sis, type: oneroster_csv, pth: /a}\n")) ==
        Lines{"ferry.yaml:4:5: missing required key 'path' in source 'sis' (the local folder or "
              "file to read), or sftp: to fetch it from an SFTP server",
              "ferry.yaml:4:38: unknown key 'pth' in source 'sis' (did you mean 'path'?)"});
  CHECK(diagnostics_of(with_sources("  - {name: sis, type: oneroster_csv, path: ''}\n")) ==
        Lines{"ferry.yaml:4:44: 'path' in source 'sis' is empty: write a value or remove the key"});
  // A stream option of another connector is unknown here.
  CHECK(diagnostics_of(with_sources(
            "  - {name: sis, type: oneroster_csv, path: /a, streams: {users: {query: x}}}\n")) ==
        Lines{"ferry.yaml:4:66: unknown key 'query' in stream 'users' of source 'sis' (known "
              "keys: key, default, extends, fields)"});
  CHECK(diagnostics_of(
            with_sources("  - {name: db, type: sqlite, path: /a, streams: {t: {qeury: x}}}\n")) ==
        Lines{"ferry.yaml:4:54: unknown key 'qeury' in stream 't' of source 'db' (did you mean "
              "'query'?)"});
}

TEST_CASE("a source with an unknown type reports no unknown keys") {
  // Without the connector's table its keys cannot be judged: one message, not a cascade.
  CHECK(diagnostics_of(with_sources("  - {name: sis, type: ftp, host: x, port: 21}\n")).size() ==
        1);
}

TEST_CASE("a bad schedule says what a schedule looks like") {
  CHECK(diagnostics_of(
            with_sources("  - {name: sis, type: oneroster_csv, path: /a, schedule: hourly}\n")) ==
        Lines{"ferry.yaml:4:58: 'schedule' in source 'sis': 'hourly' is not a schedule: write "
              "'every' and an interval (every 15m) or a 5-field cron expression (0 6 * * "
              "mon-fri)"});
  CHECK(diagnostics_of(with_sources(
            "  - {name: sis, type: oneroster_csv, path: /a, schedule: '0 25 * * *'}\n")) ==
        Lines{"ferry.yaml:4:58: 'schedule' in source 'sis': cron '0 25 * * *': hour 25 is out of "
              "range 0-23"});
}

TEST_CASE("sources must be a list of maps") {
  CHECK(diagnostics_of("agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, "
                       "tenant_public_key: \"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\n"
                       "sources: {name: sis}\n") ==
        Lines{"ferry.yaml:3:10: sources must be a list, each item starting with '- name:', not a "
              "map"});
  CHECK(diagnostics_of(with_sources("  - sis\n")) ==
        Lines{"ferry.yaml:4:5: source #1 must be a map (name:, type:, ...), not a single value"});
  CHECK(diagnostics_of(with_sources("  - {type: oneroster_csv, path: /a}\n")) ==
        Lines{"ferry.yaml:4:5: missing required key 'name' in source #1 (a short name such as "
              "sis)"});
}

TEST_CASE("stream names must be usable as file names") {
  CHECK(diagnostics_of(with_sources(
            "  - {name: sis, type: oneroster_csv, path: /a, streams: {'../x': {}}}\n")) ==
        Lines{"ferry.yaml:4:58: stream name '../x' in source 'sis' may only use letters, digits, "
              "'.', '_' and '-' (it names files on the tenant's side)"});
}

TEST_CASE("pseudonymize and hash are refused as shorthand because they need a domain") {
  CHECK(diagnostics_of(with_fields("          sourcedId: pseudonymize\n")) ==
        Lines{"ferry.yaml:10:22: field 'sourcedId' of stream 'users': pseudonymize needs a "
              "domain, so write it as a map: {transform: pseudonymize, domain: user}"});
  CHECK(diagnostics_of(with_fields("          email: hash\n")) ==
        Lines{"ferry.yaml:10:18: field 'email' of stream 'users': hash needs a domain, so write "
              "it as a map: {transform: hash, domain: email}"});
  CHECK(diagnostics_of(with_fields("          grades: kep\n")) ==
        Lines{"ferry.yaml:10:19: field 'grades' of stream 'users' must be keep, drop, or a map "
              "such as {transform: hash, domain: email}, got 'kep' (did you mean 'keep'?)"});
}

TEST_CASE("a token transform without a domain or with a bad one is refused") {
  CHECK(diagnostics_of(with_fields("          sourcedId: {transform: pseudonymize}\n")) ==
        Lines{"ferry.yaml:10:22: missing required key 'domain' in field 'sourcedId' of stream "
              "'users' (pseudonymize needs one, such as user or email: the same value in the same "
              "domain gives the same token in every stream)"});
  CHECK(diagnostics_of(with_fields("          email: {transform: hash, domain: E-Mail}\n")) ==
        Lines{"ferry.yaml:10:44: 'domain' in field 'email' of stream 'users' 'E-Mail' may only "
              "use a-z, 0-9, '_', '.' and '-' (it is part of every token)"});
  CHECK(diagnostics_of(with_fields("          email: {transform: hsh, domain: email}\n")) ==
        Lines{"ferry.yaml:10:30: 'transform' in field 'email' of stream 'users' must be keep, "
              "drop, pseudonymize, hash or generalize, got 'hsh' (did you mean 'hash'?)"});
}

TEST_CASE("list and normalize are refused on transforms that make no token") {
  CHECK(diagnostics_of(with_fields("          ids: {transform: keep, list: true}\n")) ==
        Lines{"ferry.yaml:10:34: 'list' in field 'ids' of stream 'users' only applies to "
              "pseudonymize and hash (it makes one token per comma-separated element): remove "
              "it"});
  CHECK(diagnostics_of(with_fields("          name: {transform: keep, normalize: lower}\n")) ==
        Lines{"ferry.yaml:10:35: 'normalize' in field 'name' of stream 'users' only applies to "
              "pseudonymize and hash (it changes the value before a token is made): remove it"});
  CHECK(diagnostics_of(with_fields("          ids: {transform: hash, domain: d, list: yes}\n")) ==
        Lines{"ferry.yaml:10:51: 'list' in field 'ids' of stream 'users' must be true or false, "
              "got 'yes'"});
}

TEST_CASE("generalize needs exactly one of to, prefix and bucket") {
  CHECK(diagnostics_of(with_fields("          birthDate: {transform: generalize}\n")) ==
        Lines{"ferry.yaml:10:22: field 'birthDate' of stream 'users': generalize needs one of to "
              "(year or year_month), prefix: N (keep N characters) or bucket: N (round numbers "
              "down to a multiple of N)"});
  CHECK(diagnostics_of(
            with_fields("          birthDate: {transform: generalize, to: year, prefix: 4}\n")) ==
        Lines{"ferry.yaml:10:56: field 'birthDate' of stream 'users': generalize takes only one "
              "of to, prefix and bucket"});
  CHECK(diagnostics_of(with_fields("          age: {transform: generalize, bucket: 0}\n")) ==
        Lines{"ferry.yaml:10:48: 'bucket' in field 'age' of stream 'users' must be a whole number "
              "of 1 or more, got '0'"});
  CHECK(diagnostics_of(with_fields("          birthDate: {transform: generalize, to: decade}\n")) ==
        Lines{"ferry.yaml:10:50: 'to' in field 'birthDate' of stream 'users' must be year or "
              "year_month, got 'decade'"});
  CHECK(diagnostics_of(with_fields("          grade: {transform: keep, bucket: 5}\n")) ==
        Lines{"ferry.yaml:10:36: 'bucket' in field 'grade' of stream 'users' only applies to "
              "generalize (it says how to coarsen the value): remove it"});
}

TEST_CASE("date_format is read with generalize to a year and refused elsewhere") {
  CHECK(diagnostics_of(with_fields("          birthDate: {transform: generalize, to: year, "
                                   "date_format: \"%m/%d/%y\"}\n"))
            .empty());
  CHECK(diagnostics_of(
            with_fields("          birthDate: {transform: keep, date_format: \"%m/%d/%y\"}\n")) ==
        Lines{"ferry.yaml:10:40: 'date_format' in field 'birthDate' of stream 'users' only applies "
              "to generalize to: year or year_month (it says how to read a date): remove it"});
  CHECK(diagnostics_of(with_fields(
            "          zip: {transform: generalize, prefix: 3, date_format: \"%Y\"}\n")) ==
        Lines{"ferry.yaml:10:51: 'date_format' in field 'zip' of stream 'users' only applies to "
              "generalize to: year or year_month (it says how to read a date): remove it"});
  CHECK(
      diagnostics_of(with_fields(
          "          birthDate: {transform: generalize, to: year, date_format: \"%m/%e/%y\"}\n")) ==
      Lines{"ferry.yaml:10:69: 'date_format' in field 'birthDate' of stream 'users': "
            "date_format '%m/%e/%y': %e is not supported; use %Y %y %m %d %b %B %H %M %S %% "
            "(and literal characters)"});
  CHECK(
      diagnostics_of(with_fields(
          "          enrolled: {transform: generalize, to: year_month, date_format: \"%Y\"}\n")) ==
      Lines{"ferry.yaml:10:74: 'date_format' in field 'enrolled' of stream 'users': "
            "date_format '%Y' has no month (%m, %b or %B), which to: year_month needs"});
}

TEST_CASE("a password or secret field with any transform but drop is refused") {
  const auto refused = [](std::string_view name, std::string_view word) {
    return fmt::format(
        "field '{}' of stream 'users': a column whose name has the word '{}' is never sent "
        "(passwords and secrets stay at school): remove it or set it to drop",
        name, word);
  };
  CHECK(diagnostics_of(with_fields("          password: keep\n")) ==
        Lines{"ferry.yaml:10:11: " + refused("password", "password")});
  CHECK(diagnostics_of(with_fields("          PassWord: {transform: hash, domain: pw}\n")) ==
        Lines{"ferry.yaml:10:11: " + refused("PassWord", "password")});
  CHECK(diagnostics_of(with_fields("          passwordHash: keep\n")) ==
        Lines{"ferry.yaml:10:11: " + refused("passwordHash", "password")});
  CHECK(diagnostics_of(with_fields("          studentPIN: keep\n")) ==
        Lines{"ferry.yaml:10:11: " + refused("studentPIN", "pin")});
  CHECK(diagnostics_of(with_fields("          password: drop\n")).empty());
  CHECK(diagnostics_of(with_fields("          defaultgroupingid: keep\n")).empty());
}

TEST_CASE("stream default and key are checked") {
  CHECK(
      diagnostics_of(with_sources(
          "  - {name: sis, type: oneroster_csv, path: /a, streams: {users: {default: dorp}}}\n")) ==
      Lines{"ferry.yaml:4:75: 'default' in stream 'users' of source 'sis' must be drop or keep, "
            "got 'dorp' (did you mean 'drop'?)"});
}

TEST_CASE("a composite key is a list of distinct column names") {
  const std::string source = "  - {name: sis, type: oneroster_csv, path: /a, streams: {e: {key: ";
  CHECK(diagnostics_of(with_sources(source + "[classSourcedId, userSourcedId]}}}\n")).empty());
  CHECK(diagnostics_of(with_sources(source + "[]}}}\n")) ==
        Lines{"ferry.yaml:4:67: 'key' in stream 'e' of source 'sis' lists no column: name the "
              "column (or columns) that identify a row"});
  CHECK(diagnostics_of(with_sources(source + "[a, a]}}}\n")) ==
        Lines{"ferry.yaml:4:71: 'key' in stream 'e' of source 'sis' names column 'a' twice"});
  CHECK(diagnostics_of(with_sources(source + "[a, {b: c}]}}}\n")) ==
        Lines{"ferry.yaml:4:71: each item of 'key' in stream 'e' of source 'sis' must be a single "
              "value, not a map"});
}

TEST_CASE("extends takes only preset, and only in a source that has one") {
  CHECK(diagnostics_of(with_sources("  - {name: sis, type: oneroster_csv, path: /a, preset: "
                                    "oneroster, streams: {users: {extends: preset}}}\n"))
            .empty());
  CHECK(diagnostics_of(with_sources("  - {name: sis, type: oneroster_csv, path: /a, preset: "
                                    "oneroster, streams: {users: {extends: base}}}\n")) ==
        Lines{"ferry.yaml:4:94: 'extends' in stream 'users' of source 'sis' must be preset, got "
              "'base'"});
  CHECK(diagnostics_of(with_sources(
            "  - {name: sis, type: oneroster_csv, path: /a, streams: {users: {extends: preset}}}\n")) ==
        Lines{"ferry.yaml:4:58: stream 'users' of source 'sis' says extends: preset, but the source "
              "has no preset: add one (such as preset: oneroster) or write the whole stream "
              "without extends"});
}
