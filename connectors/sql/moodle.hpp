// `preset: moodle`: Moodle's own tables read straight from its database (MariaDB/MySQL or
// PostgreSQL), one stream per table, each with its query, cursor and field policy in one table of
// code, so that what is read and what is sent cannot drift apart. docs/connectors/moodle.md has
// the same tables (a test keeps the two in step).
//
// The policy follows the other presets': Moodle's user ids (mdl_user.id and every userid that
// points at it) are pseudonymized in domain `moodle_user`; a person's SIS id (idnumber) in domain
// `user`, so that the tenant joins Moodle's rows with the SIS's where the district fills it; the
// username in `moodle_username`; e-mail is hashed (lower case) in domain `email`; the ids of
// records about one person (an enrolment, a grade) in a domain of their own. Names, phone
// numbers, addresses, IP addresses, passwords and free text are never selected at all.
//
// Each query names its tables as {prefix}user: the source's table_prefix (mdl_ by default) takes
// the place of {prefix} when the source is built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/settings.hpp"

namespace ferry::connectors::sql {

struct MoodleColumn {
  std::string name;            // in the stream: "userid"
  std::string source;          // what the query selects: "ue.userid"
  config::FieldPolicy policy;  // in the moodle preset
};

struct MoodleStream {
  std::string stream;                 // "user_enrolments"
  std::string from;                   // "{prefix}user_enrolments ue JOIN ..."
  std::string cursor;                 // the cursor column, one of `columns`: "timemodified"
  std::string cursor_source;          // what it is in the query: "ue.timemodified"
  std::string lookback;               // "300": seconds, for cursors of Unix times
  std::vector<MoodleColumn> columns;  // columns[0] is the key, "id"
};

const std::vector<MoodleStream>& moodle_streams();

// The query of `stream`, with {prefix} still in it.
std::string moodle_query(const MoodleStream& stream);

// `preset: moodle`: every stream, keyed by `id`, with its query, cursor and lookback as options.
std::vector<config::StreamSettings> moodle_preset_streams();

// Every {prefix} in `query` replaced by `prefix`.
std::string with_table_prefix(std::string_view query, std::string_view prefix);

}  // namespace ferry::connectors::sql
