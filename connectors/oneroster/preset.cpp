// The built-in `preset: oneroster` field policy, shared by the CSV and the REST connectors so that
// a district moving from one to the other keeps its tokens. The reasons for each choice are in
// docs/connectors/oneroster_csv.md (section "The oneroster preset"); keep the two in step (a test
// checks that the document lists every field with the transform and domain given here).
//
// In short: a person's identifiers are pseudonymized in shared domains so that the tenant can join
// the tables (users.sourcedId = enrollments.userSourcedId = results.studentSourcedId = ...); the
// ids of records tied to one person (an enrollment, a result, a role) are pseudonymized too, in a
// domain of their own, since exporters often build them from the person's id; the ids and names of
// the school's structure (orgs, sessions, courses, classes, resources, line items) are kept;
// contact details, free text, demographics beyond the birth year, and passwords are dropped.
#include "connectors/oneroster/preset.hpp"

#include "common/config/field_builders.hpp"

namespace ferry::connectors::oneroster {
namespace {

using config::FieldPolicy;
using config::Normalize;
using config::StreamSettings;
using config::Transform;
using config::build::drop;
using config::build::hash;
using config::build::keep;
using config::build::pseudonymize;
using config::build::pseudonymize_list;
using config::build::year;

// sourcedId, status and dateLastModified, which every OneRoster file starts with.
StreamSettings stream(const char* name, FieldPolicy id, std::vector<FieldPolicy> fields) {
  StreamSettings settings;
  settings.name = name;
  settings.key = "sourcedId";
  settings.default_transform = Transform::kDrop;
  settings.fields.push_back(std::move(id));
  settings.fields.push_back(keep("status"));
  settings.fields.push_back(keep("dateLastModified"));
  for (auto& policy : fields) settings.fields.push_back(std::move(policy));
  return settings;
}

}  // namespace

std::vector<StreamSettings> preset_streams() {
  const FieldPolicy kept_id = keep("sourcedId");
  std::vector<StreamSettings> streams;

  streams.push_back(stream("academicSessions", kept_id,
                           {keep("title"), keep("type"), keep("startDate"), keep("endDate"),
                            keep("parentSourcedId"), keep("schoolYear")}));
  streams.push_back(stream("categories", kept_id, {keep("title"), keep("weight")}));
  streams.push_back(
      stream("classes", kept_id,
             {keep("title"), keep("grades"), keep("courseSourcedId"), keep("classCode"),
              keep("classType"), keep("location"), keep("schoolSourcedId"), keep("termSourcedIds"),
              keep("subjects"), keep("subjectCodes"), keep("periods")}));
  streams.push_back(stream("classResources", kept_id,
                           {keep("title"), keep("classSourcedId"), keep("resourceSourcedId")}));
  streams.push_back(
      stream("courses", kept_id,
             {keep("schoolYearSourcedId"), keep("title"), keep("courseCode"), keep("grades"),
              keep("orgSourcedId"), keep("subjects"), keep("subjectCodes")}));
  streams.push_back(stream("courseResources", kept_id,
                           {keep("title"), keep("courseSourcedId"), keep("resourceSourcedId")}));
  streams.push_back(stream(
      "demographics", pseudonymize("sourcedId", "user"),
      {year("birthDate"), drop("sex"), drop("americanIndianOrAlaskaNative"), drop("asian"),
       drop("blackOrAfricanAmerican"), drop("nativeHawaiianOrOtherPacificIslander"), drop("white"),
       drop("demographicRaceTwoOrMoreRaces"), drop("hispanicOrLatinoEthnicity"),
       drop("countryOfBirthCode"), drop("stateOfBirthAbbreviation"), drop("cityOfBirth"),
       drop("publicSchoolResidenceStatus")}));
  streams.push_back(stream(
      "enrollments", pseudonymize("sourcedId", "enrollment"),
      {keep("classSourcedId"), keep("schoolSourcedId"), pseudonymize("userSourcedId", "user"),
       keep("role"), keep("primary"), keep("beginDate"), keep("endDate")}));
  streams.push_back(
      stream("lineItemLearningObjectiveIds", kept_id,
             {keep("lineItemSourcedId"), keep("source"), keep("learningObjectiveId")}));
  streams.push_back(
      stream("lineItems", kept_id,
             {keep("title"), drop("description"), keep("assignDate"), keep("dueDate"),
              keep("classSourcedId"), keep("categorySourcedId"), keep("gradingPeriodSourcedId"),
              keep("academicSessionSourcedId"), keep("resultValueMin"), keep("resultValueMax"),
              keep("schoolSourcedId"), keep("scoreScaleSourcedId")}));
  streams.push_back(stream("lineItemScoreScales", kept_id,
                           {keep("lineItemSourcedId"), keep("scoreScaleSourcedId")}));
  streams.push_back(stream(
      "orgs", kept_id, {keep("name"), keep("type"), keep("identifier"), keep("parentSourcedId")}));
  streams.push_back(stream("resources", kept_id,
                           {keep("vendorResourceId"), keep("title"), keep("roles"),
                            keep("importance"), keep("vendorId"), keep("applicationId")}));
  streams.push_back(stream("resultLearningObjectiveIds",
                           pseudonymize("sourcedId", "result_learning_objective"),
                           {pseudonymize("resultSourcedId", "result"), keep("source"),
                            keep("learningObjectiveId"), keep("score"), keep("textScore")}));
  streams.push_back(
      stream("results", pseudonymize("sourcedId", "result"),
             {keep("lineItemSourcedId"), pseudonymize("studentSourcedId", "user"),
              keep("classSourcedId"), keep("scoreStatus"), keep("score"), keep("textScore"),
              keep("scoreDate"), drop("comment"), keep("scoreScaleSourcedId"), keep("inProgress"),
              keep("incomplete"), keep("late"), keep("missing")}));
  streams.push_back(
      stream("resultScoreScales", pseudonymize("sourcedId", "result_score_scale"),
             {pseudonymize("resultSourcedId", "result"), keep("scoreScaleSourcedId")}));
  streams.push_back(stream("roles", pseudonymize("sourcedId", "role"),
                           {pseudonymize("userSourcedId", "user"), keep("roleType"), keep("role"),
                            keep("beginDate"), keep("endDate"), keep("orgSourcedId"),
                            pseudonymize("userProfileSourcedId", "user_profile")}));
  streams.push_back(
      stream("scoreScales", kept_id,
             {keep("title"), keep("type"), keep("orgSourcedId"), keep("courseSourcedId"),
              keep("classSourcedId"), keep("scoreScaleValue")}));
  streams.push_back(
      stream("userProfiles", pseudonymize("sourcedId", "user_profile"),
             {pseudonymize("userSourcedId", "user"), keep("profileType"), keep("vendorId"),
              keep("applicationId"), drop("description"), keep("credentialType"),
              pseudonymize("username", "username", Normalize::kLower), drop("password")}));
  streams.push_back(
      stream("userResources", pseudonymize("sourcedId", "user_resource"),
             {keep("title"), pseudonymize("userSourcedId", "user"), keep("resourceSourcedId")}));
  streams.push_back(stream("users", pseudonymize("sourcedId", "user"),
                           {keep("enabledUser"),
                            keep("orgSourcedIds"),
                            keep("role"),
                            pseudonymize("username", "username", Normalize::kLower),
                            drop("userIds"),
                            drop("givenName"),
                            drop("familyName"),
                            drop("middleName"),
                            drop("preferredGivenName"),
                            drop("preferredMiddleName"),
                            drop("preferredFamilyName"),
                            drop("preferredFirstName"),
                            drop("preferredLastName"),
                            pseudonymize("identifier", "identifier"),
                            pseudonymize("userMasterIdentifier", "master_identifier"),
                            hash("email", "email", Normalize::kLower),
                            drop("sms"),
                            drop("phone"),
                            pseudonymize_list("agentSourcedIds", "user"),
                            keep("grades"),
                            drop("password"),
                            keep("primaryOrgSourcedId"),
                            drop("pronouns"),
                            keep("resourceSourcedIds")}));
  return streams;
}

}  // namespace ferry::connectors::oneroster
