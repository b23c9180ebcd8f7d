#include "connectors/oneroster_rest/collections.hpp"

namespace ferry::connectors::oneroster_rest {
namespace {

using http_api::JsonColumn;

// A column whose JSON member has the CSV column's name.
JsonColumn same(const char* name) { return JsonColumn{name, std::string("/") + name, false}; }
// A column taken from elsewhere in the record.
JsonColumn from(const char* name, const char* path) { return JsonColumn{name, path, false}; }

Collection collection(const char* name, std::vector<JsonColumn> columns) {
  Collection made;
  made.stream = name;
  made.path = name;
  made.member = name;
  made.columns = {same("sourcedId"), same("status"), same("dateLastModified")};
  for (JsonColumn& column : columns) made.columns.push_back(std::move(column));
  return made;
}

std::vector<Collection> make_collections(Version version) {
  std::vector<Collection> all;
  all.push_back(collection("academicSessions",
                           {same("title"), same("type"), same("startDate"), same("endDate"),
                            from("parentSourcedId", "/parent/sourcedId"), same("schoolYear")}));
  all.push_back(collection(
      "classes", {same("title"), from("grades", "/grades/*"),
                  from("courseSourcedId", "/course/sourcedId"), same("classCode"),
                  same("classType"), same("location"), from("schoolSourcedId", "/school/sourcedId"),
                  from("termSourcedIds", "/terms/*/sourcedId"), from("subjects", "/subjects/*"),
                  from("subjectCodes", "/subjectCodes/*"), from("periods", "/periods/*")}));
  all.push_back(collection(
      "courses",
      {from("schoolYearSourcedId", "/schoolYear/sourcedId"), same("title"), same("courseCode"),
       from("grades", "/grades/*"), from("orgSourcedId", "/org/sourcedId"),
       from("subjects", "/subjects/*"), from("subjectCodes", "/subjectCodes/*")}));
  all.push_back(collection(
      "demographics",
      {same("birthDate"), same("sex"), same("americanIndianOrAlaskaNative"), same("asian"),
       same("blackOrAfricanAmerican"), same("nativeHawaiianOrOtherPacificIslander"), same("white"),
       same("demographicRaceTwoOrMoreRaces"), same("hispanicOrLatinoEthnicity"),
       same("countryOfBirthCode"), same("stateOfBirthAbbreviation"), same("cityOfBirth"),
       same("publicSchoolResidenceStatus")}));
  all.push_back(collection("enrollments", {from("classSourcedId", "/class/sourcedId"),
                                           from("schoolSourcedId", "/school/sourcedId"),
                                           from("userSourcedId", "/user/sourcedId"), same("role"),
                                           same("primary"), same("beginDate"), same("endDate")}));
  all.push_back(collection("orgs", {same("name"), same("type"), same("identifier"),
                                    from("parentSourcedId", "/parent/sourcedId")}));
  if (version == Version::k1_1) {
    all.push_back(collection(
        "users", {same("enabledUser"), from("orgSourcedIds", "/orgs/*/sourcedId"), same("role"),
                  same("username"), from("userIds", "/userIds/*/identifier"), same("givenName"),
                  same("familyName"), same("middleName"), same("identifier"), same("email"),
                  same("sms"), same("phone"), from("agentSourcedIds", "/agents/*/sourcedId"),
                  from("grades", "/grades/*"), same("password")}));
  } else {
    all.push_back(collection("users", {same("enabledUser"),
                                       same("username"),
                                       from("userIds", "/userIds/*/identifier"),
                                       same("givenName"),
                                       same("familyName"),
                                       same("middleName"),
                                       same("identifier"),
                                       same("email"),
                                       same("sms"),
                                       same("phone"),
                                       from("agentSourcedIds", "/agents/*/sourcedId"),
                                       from("grades", "/grades/*"),
                                       same("password"),
                                       same("userMasterIdentifier"),
                                       from("resourceSourcedIds", "/resources/*/sourcedId"),
                                       same("preferredGivenName"),
                                       same("preferredMiddleName"),
                                       same("preferredFamilyName"),
                                       from("primaryOrgSourcedId", "/primaryOrg/sourcedId"),
                                       same("pronouns")}));
  }
  return all;
}

}  // namespace

const std::vector<Collection>& collections(Version version) {
  static const std::vector<Collection> v1_1 = make_collections(Version::k1_1);
  static const std::vector<Collection> v1_2 = make_collections(Version::k1_2);
  return version == Version::k1_1 ? v1_1 : v1_2;
}

const Collection* find_collection(Version version, std::string_view stream) {
  for (const Collection& collection : collections(version)) {
    if (collection.stream == stream) return &collection;
  }
  return nullptr;
}

}  // namespace ferry::connectors::oneroster_rest
