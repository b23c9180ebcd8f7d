#include "connectors/sql/moodle.hpp"

#include <fmt/format.h>

#include "common/config/field_builders.hpp"

namespace ferry::connectors::sql {
namespace {

namespace build = config::build;

constexpr std::string_view kUser = "moodle_user";

// A column selected as `source` (a qualified name, or the column itself) under `name`.
MoodleColumn kept(std::string name, std::string source = {}) {
  auto policy = build::keep(name);
  if (source.empty()) source = name;
  return {std::move(name), std::move(source), std::move(policy)};
}

MoodleColumn token(std::string name, std::string_view domain, std::string source = {}) {
  auto policy = build::pseudonymize(name, domain);
  if (source.empty()) source = name;
  return {std::move(name), std::move(source), std::move(policy)};
}

MoodleColumn hashed(std::string name, std::string_view domain) {
  auto policy = build::hash(name, domain, config::Normalize::kLower);
  std::string source = name;
  return {std::move(name), std::move(source), std::move(policy)};
}

// Moodle stamps rows with the Unix time at the start of the request that changes them, which may
// commit seconds later: five minutes back covers it.
constexpr const char* kLookback = "300";

MoodleStream table(std::string stream, std::string from, std::vector<MoodleColumn> columns,
                   std::string cursor = "timemodified", std::string lookback = kLookback) {
  std::string cursor_source = cursor;
  for (const MoodleColumn& column : columns) {
    if (column.name == cursor) cursor_source = column.source;
  }
  return {std::move(stream),        std::move(from),     std::move(cursor),
          std::move(cursor_source), std::move(lookback), std::move(columns)};
}

std::vector<MoodleStream> build_streams() {
  std::vector<MoodleStream> list;
  list.push_back(
      table("users", "{prefix}user",
            {token("id", kUser), token("username", "moodle_username"), token("idnumber", "user"),
             hashed("email", "email"), kept("auth"), kept("confirmed"), kept("suspended"),
             kept("deleted"), kept("lang"), kept("country"), kept("institution"),
             kept("department"), kept("firstaccess"), kept("lastaccess"), kept("lastlogin"),
             kept("timecreated"), kept("timemodified")}));
  list.push_back(table("course_categories", "{prefix}course_categories",
                       {kept("id"), kept("name"), kept("idnumber"), kept("parent"), kept("path"),
                        kept("depth"), kept("visible"), kept("timemodified")}));
  list.push_back(table("courses", "{prefix}course",
                       {kept("id"), kept("category"), kept("fullname"), kept("shortname"),
                        kept("idnumber"), kept("format"), kept("startdate"), kept("enddate"),
                        kept("visible"), kept("timecreated"), kept("timemodified")}));
  list.push_back(table(
      "enrol", "{prefix}enrol",
      {kept("id"), kept("enrol"), kept("status"), kept("courseid"), kept("roleid"),
       kept("enrolstartdate"), kept("enrolenddate"), kept("timecreated"), kept("timemodified")}));
  list.push_back(table("user_enrolments", "{prefix}user_enrolments",
                       {token("id", "moodle_enrolment"), kept("enrolid"), token("userid", kUser),
                        kept("status"), kept("timestart"), kept("timeend"),
                        token("modifierid", kUser), kept("timecreated"), kept("timemodified")}));
  // Roles change rarely and carry no time: new ones are read by id.
  list.push_back(table("roles", "{prefix}role",
                       {kept("id"), kept("shortname"), kept("archetype"), kept("sortorder")}, "id",
                       ""));
  // With the context each assignment is in, so that a course's roles need no other table.
  list.push_back(table(
      "role_assignments",
      "{prefix}role_assignments ra JOIN {prefix}context ctx ON ctx.id = ra.contextid",
      {token("id", "moodle_role_assignment", "ra.id"), kept("roleid", "ra.roleid"),
       kept("contextid", "ra.contextid"), kept("contextlevel", "ctx.contextlevel"),
       kept("instanceid", "ctx.instanceid"), token("userid", kUser, "ra.userid"),
       kept("component", "ra.component"), kept("itemid", "ra.itemid"),
       token("modifierid", kUser, "ra.modifierid"), kept("timemodified", "ra.timemodified")}));
  list.push_back(
      table("cohorts", "{prefix}cohort",
            {kept("id"), kept("contextid"), kept("name"), kept("idnumber"), kept("visible"),
             kept("component"), kept("timecreated"), kept("timemodified")}));
  list.push_back(table("cohort_members", "{prefix}cohort_members",
                       {token("id", "moodle_cohort_member"), kept("cohortid"),
                        token("userid", kUser), kept("timeadded")},
                       "timeadded"));
  list.push_back(table(
      "assignments", "{prefix}assign",
      {kept("id"), kept("course"), kept("name"), kept("duedate"), kept("allowsubmissionsfromdate"),
       kept("cutoffdate"), kept("grade"), kept("timemodified")}));
  list.push_back(table("assign_grades", "{prefix}assign_grades",
                       {token("id", "moodle_grade"), kept("assignment"), token("userid", kUser),
                        token("grader", kUser), kept("grade"), kept("attemptnumber"),
                        kept("timecreated"), kept("timemodified")}));
  list.push_back(table("grade_items", "{prefix}grade_items",
                       {kept("id"), kept("courseid"), kept("itemname"), kept("itemtype"),
                        kept("itemmodule"), kept("iteminstance"), kept("grademax"),
                        kept("grademin"), kept("timecreated"), kept("timemodified")}));
  // A grade never edited has no timemodified: its creation time stands in.
  list.push_back(
      table("grade_grades", "{prefix}grade_grades",
            {token("id", "moodle_grade_grade"), kept("itemid"), token("userid", kUser),
             kept("rawgrade"), kept("finalgrade"), kept("rawgrademax"), kept("overridden"),
             kept("timecreated"), kept("timemodified", "COALESCE(timemodified, timecreated, 0)")}));
  // The standard log grows only: read by id. Its ip and `other` (free text) are never selected.
  list.push_back(
      table("log", "{prefix}logstore_standard_log",
            {kept("id"), kept("eventname"), kept("component"), kept("action"), kept("target"),
             kept("objecttable"), kept("objectid"), kept("crud"), kept("edulevel"),
             kept("contextid"), kept("contextlevel"), kept("contextinstanceid"),
             token("userid", kUser), kept("courseid"), token("relateduserid", kUser),
             token("realuserid", kUser), kept("origin"), kept("timecreated")},
            "id", ""));
  return list;
}

}  // namespace

const std::vector<MoodleStream>& moodle_streams() {
  static const std::vector<MoodleStream> list = build_streams();
  return list;
}

std::string moodle_query(const MoodleStream& stream) {
  std::string select;
  for (const MoodleColumn& column : stream.columns) {
    if (!select.empty()) select += ", ";
    select += column.source == column.name ? column.name
                                           : fmt::format("{} AS {}", column.source, column.name);
  }
  const std::string& key = stream.columns.front().source;
  const std::string order = stream.cursor_source == key
                                ? stream.cursor_source
                                : fmt::format("{}, {}", stream.cursor_source, key);
  return fmt::format("SELECT {} FROM {} WHERE :cursor IS NULL OR {} >= :cursor ORDER BY {}", select,
                     stream.from, stream.cursor_source, order);
}

std::vector<config::StreamSettings> moodle_preset_streams() {
  std::vector<config::StreamSettings> streams;
  for (const MoodleStream& each : moodle_streams()) {
    std::vector<config::FieldPolicy> fields;
    for (const MoodleColumn& column : each.columns) fields.push_back(column.policy);
    config::StreamSettings stream = build::stream(each.stream, {"id"}, std::move(fields));
    stream.options.emplace("query", config::OptionValue{{moodle_query(each)}, {}});
    stream.options.emplace("cursor", config::OptionValue{{each.cursor}, {}});
    if (!each.lookback.empty()) {
      stream.options.emplace("lookback", config::OptionValue{{each.lookback}, {}});
    }
    streams.push_back(std::move(stream));
  }
  return streams;
}

std::string with_table_prefix(std::string_view query, std::string_view prefix) {
  std::string out;
  out.reserve(query.size());
  constexpr std::string_view kMark = "{prefix}";
  std::size_t at = 0;
  for (std::size_t found = query.find(kMark); found != std::string_view::npos;
       found = query.find(kMark, at)) {
    out.append(query.substr(at, found - at));
    out.append(prefix);
    at = found + kMark.size();
  }
  out.append(query.substr(at));
  return out;
}

}  // namespace ferry::connectors::sql
