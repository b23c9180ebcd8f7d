#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "connectors/oneroster_csv/oneroster_csv.hpp"
#include "connectors/registry/registry.hpp"
#include "tests/support/preset_doc.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

using config::FieldPolicy;
using config::Normalize;
using config::StreamSettings;
using config::Transform;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool valid_domain(const std::string& domain) {
  return !domain.empty() && std::all_of(domain.begin(), domain.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

const StreamSettings& stream_named(const std::vector<StreamSettings>& streams,
                                   std::string_view name) {
  const auto found = std::find_if(streams.begin(), streams.end(),
                                  [&](const StreamSettings& s) { return s.name == name; });
  REQUIRE(found != streams.end());
  return *found;
}

const FieldPolicy& field_named(const StreamSettings& stream, std::string_view name) {
  const auto found = std::find_if(stream.fields.begin(), stream.fields.end(),
                                  [&](const FieldPolicy& f) { return f.name == name; });
  INFO(stream.name << "." << name);
  REQUIRE(found != stream.fields.end());
  return *found;
}

}  // namespace

TEST_CASE("preset gives every listed column a policy the config loader would accept") {
  const auto streams = preset_streams();
  std::set<std::string> names;
  for (const StreamSettings& stream : streams) {
    INFO(stream.name);
    CHECK(names.insert(stream.name).second);
    CHECK(stream.key == "sourcedId");
    CHECK(stream.default_transform == Transform::kDrop);
    CHECK(stream.options.empty());
    std::set<std::string> fields;
    for (const FieldPolicy& field : stream.fields) {
      INFO(field.name);
      CHECK(fields.insert(field.name).second);
      const bool token =
          field.transform == Transform::kPseudonymize || field.transform == Transform::kHash;
      if (token) {
        CHECK(valid_domain(field.domain));
      } else {
        CHECK(field.domain.empty());
        CHECK(field.normalize == Normalize::kNone);
        CHECK_FALSE(field.list);
      }
      if (field.transform == Transform::kGeneralize) {
        CHECK(field.generalize.kind == config::Generalize::Kind::kYear);
      }
      if (lower(field.name) == "password") CHECK(field.transform == Transform::kDrop);
    }
    CHECK(fields.count("sourcedId") == 1);
  }
}

TEST_CASE("preset covers every OneRoster 1.1 and 1.2 file and every standard column") {
  // The headers of the OneRoster 1.1 CSV binding, plus the 1.2 files and users columns.
  const std::map<std::string, std::string> headers{
      {"academicSessions",
       "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear"},
      {"categories", "sourcedId,status,dateLastModified,title,weight"},
      {"classes",
       "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
       "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"},
      {"classResources",
       "sourcedId,status,dateLastModified,title,classSourcedId,resourceSourcedId"},
      {"courses",
       "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
       "orgSourcedId,subjects,subjectCodes"},
      {"courseResources",
       "sourcedId,status,dateLastModified,title,courseSourcedId,resourceSourcedId"},
      {"demographics",
       "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
       "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
       "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
       "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus"},
      {"enrollments",
       "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
       "primary,beginDate,endDate"},
      {"lineItems",
       "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,"
       "categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax"},
      {"orgs", "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"},
      {"resources",
       "sourcedId,status,dateLastModified,vendorResourceId,title,roles,importance,vendorId,"
       "applicationId"},
      {"results",
       "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,"
       "scoreDate,comment"},
      {"users",
       "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
       "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
       "userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,"
       "preferredFamilyName,primaryOrgSourcedId,pronouns"},
      {"roles",
       "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
       "orgSourcedId,userProfileSourcedId"},
      {"userProfiles",
       "sourcedId,status,dateLastModified,userSourcedId,profileType,vendorId,applicationId,"
       "description,credentialType,username,password"},
      {"userResources", "sourcedId,status,dateLastModified,title,userSourcedId,resourceSourcedId"},
      {"scoreScales",
       "sourcedId,status,dateLastModified,title,type,orgSourcedId,courseSourcedId,"
       "classSourcedId,scoreScaleValue"},
      {"lineItemLearningObjectiveIds",
       "sourcedId,status,dateLastModified,lineItemSourcedId,source,learningObjectiveId"},
      {"lineItemScoreScales",
       "sourcedId,status,dateLastModified,lineItemSourcedId,scoreScaleSourcedId"},
      {"resultLearningObjectiveIds",
       "sourcedId,status,dateLastModified,resultSourcedId,source,learningObjectiveId,score,"
       "textScore"},
      {"resultScoreScales",
       "sourcedId,status,dateLastModified,resultSourcedId,scoreScaleSourcedId"},
  };
  const auto streams = preset_streams();
  CHECK(streams.size() == headers.size());
  for (const auto& [name, header] : headers) {
    const StreamSettings& stream = stream_named(streams, name);
    std::stringstream columns(header);
    for (std::string column; std::getline(columns, column, ',');) field_named(stream, column);
  }
}

TEST_CASE("preset pseudonymizes a person's ids in one domain so that tables join") {
  const auto streams = preset_streams();
  const std::vector<std::pair<std::string, std::string>> user_ids{
      {"users", "sourcedId"},
      {"users", "agentSourcedIds"},
      {"enrollments", "userSourcedId"},
      {"results", "studentSourcedId"},
      {"demographics", "sourcedId"},
      {"roles", "userSourcedId"},
      {"userProfiles", "userSourcedId"},
      {"userResources", "userSourcedId"}};
  for (const auto& [stream, column] : user_ids) {
    INFO(stream << "." << column);
    const FieldPolicy& field = field_named(stream_named(streams, stream), column);
    CHECK(field.transform == Transform::kPseudonymize);
    CHECK(field.domain == "user");
    CHECK(field.normalize == Normalize::kNone);
    CHECK(field.list == (column == "agentSourcedIds"));
  }
  const auto& users = stream_named(streams, "users");
  CHECK(field_named(users, "email").transform == Transform::kHash);
  CHECK(field_named(users, "email").domain == "email");
  CHECK(field_named(users, "email").normalize == Normalize::kLower);
  CHECK(field_named(users, "username").domain == "username");
  // Person names are dropped: identifiers join, names would tell frequency and length.
  for (const char* name : {"phone", "sms", "password", "userIds", "pronouns", "givenName",
                           "familyName", "middleName", "preferredGivenName", "preferredMiddleName",
                           "preferredFamilyName", "preferredFirstName", "preferredLastName"}) {
    CHECK(field_named(users, name).transform == Transform::kDrop);
  }
  CHECK(field_named(stream_named(streams, "demographics"), "birthDate").transform ==
        Transform::kGeneralize);
  CHECK(field_named(stream_named(streams, "results"), "comment").transform == Transform::kDrop);
  CHECK(field_named(stream_named(streams, "orgs"), "sourcedId").transform == Transform::kKeep);
}

TEST_CASE("preset is what the registry hands out for preset: oneroster") {
  config::SourceSettings settings;
  settings.type = "oneroster_csv";
  settings.preset = "oneroster";
  const auto effective = effective_streams(settings);
  CHECK(effective.size() == preset_streams().size());
}

TEST_CASE("a stream that extends the preset changes only the fields it names") {
  config::SourceSettings settings;
  settings.type = "oneroster_csv";
  settings.preset = "oneroster";
  StreamSettings users;
  users.name = "users";
  users.extends_preset = true;
  FieldPolicy given;
  given.name = "givenName";
  given.transform = Transform::kPseudonymize;
  given.domain = "name";
  FieldPolicy note;
  note.name = "metadata.note";
  note.transform = Transform::kKeep;
  users.fields = {given, note};
  settings.streams = {users};
  const auto effective = effective_streams(settings);
  CHECK(effective.size() == preset_streams().size());
  const auto& merged = stream_named(effective, "users");
  const auto presets = preset_streams();
  const auto& preset = stream_named(presets, "users");
  CHECK(merged.fields.size() == preset.fields.size() + 1);
  CHECK(field_named(merged, "givenName").transform == Transform::kPseudonymize);
  CHECK(field_named(merged, "givenName").domain == "name");
  CHECK(field_named(merged, "familyName").transform == Transform::kDrop);  // as the preset says
  CHECK(field_named(merged, "email").transform == Transform::kHash);
  CHECK(field_named(merged, "metadata.note").transform == Transform::kKeep);
  CHECK(merged.default_transform == Transform::kDrop);

  // Without extends, the stream written replaces the preset's as a whole.
  settings.streams[0].extends_preset = false;
  const auto replaced = stream_named(effective_streams(settings), "users");
  CHECK(replaced.fields.size() == 2);
}

TEST_CASE("preset table in the connector document matches the preset field by field") {
  const auto doc = ferry::test::source_dir() / "docs" / "connectors" / "oneroster_csv.md";
  ferry::test::check_documented(preset_streams(),
                                ferry::test::documented_fields(doc, "## The oneroster preset"));
}

}  // namespace ferry::connectors::oneroster_csv
