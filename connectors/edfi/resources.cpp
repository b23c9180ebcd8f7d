#include "connectors/edfi/resources.hpp"

#include <algorithm>

#include "common/config/field_builders.hpp"

namespace ferry::connectors::edfi {
namespace {

using config::FieldPolicy;
namespace build = config::build;

// What the preset does with a column.
enum class Use {
  kKeep,    // the school's structure, codes, dates of a record
  kDrop,    // names, contact details, free text
  kUser,    // a person's SIS id: pseudonymized in domain `user`
  kRecord,  // the ODS id of a record about a person: pseudonymized in domain `edfi_record`
  kYear,    // a birth date: its year
};

ResourceColumn column(std::string name, std::string path, Use use) {
  FieldPolicy policy;
  switch (use) {
    case Use::kKeep:
      policy = build::keep(name);
      break;
    case Use::kDrop:
      policy = build::drop(name);
      break;
    case Use::kUser:
      policy = build::pseudonymize(name, "user");
      break;
    case Use::kRecord:
      policy = build::pseudonymize(name, "edfi_record");
      break;
    case Use::kYear:
      policy = build::year(name);
      break;
  }
  if (path.empty()) path = "/" + name;
  return ResourceColumn{std::move(name), std::move(path), std::move(policy)};
}

// A top-level member of the resource, read under its own name.
ResourceColumn member(std::string name, Use use) { return column(std::move(name), {}, use); }

// The columns of a section reference under `reference` ("/sectionReference"): DS 4+ names a
// section by sectionIdentifier and its course offering (localCourseCode, schoolId, schoolYear,
// sessionName); DS 3 by the same members.
std::vector<ResourceColumn> section_reference(const std::string& reference) {
  return {column("sectionIdentifier", reference + "/sectionIdentifier", Use::kKeep),
          column("localCourseCode", reference + "/localCourseCode", Use::kKeep),
          column("schoolId", reference + "/schoolId", Use::kKeep),
          column("schoolYear", reference + "/schoolYear", Use::kKeep),
          column("sessionName", reference + "/sessionName", Use::kKeep)};
}

KnownResource resource(std::string stream, Use id, std::vector<ResourceColumn> columns) {
  KnownResource known{std::move(stream), {member("id", id)}};
  for (ResourceColumn& each : columns) known.columns.push_back(std::move(each));
  return known;
}

std::vector<ResourceColumn> joined(std::vector<ResourceColumn> first,
                                   std::vector<ResourceColumn> then) {
  for (ResourceColumn& each : then) first.push_back(std::move(each));
  return first;
}

std::vector<KnownResource> build_resources() {
  std::vector<KnownResource> list;
  list.push_back(resource(
      "courses", Use::kKeep,
      {member("courseCode", Use::kKeep), member("courseTitle", Use::kKeep),
       column("educationOrganizationId", "/educationOrganizationReference/educationOrganizationId",
              Use::kKeep),
       member("academicSubjectDescriptor", Use::kKeep),
       column("academicSubjects", "/academicSubjects/*/academicSubjectDescriptor", Use::kKeep),
       member("numberOfParts", Use::kKeep),
       column("offeredGradeLevels", "/offeredGradeLevels/*/gradeLevelDescriptor", Use::kKeep)}));
  list.push_back(resource(
      "grades", Use::kRecord,
      joined(
          {column("studentUniqueId", "/studentSectionAssociationReference/studentUniqueId",
                  Use::kUser),
           column("beginDate", "/studentSectionAssociationReference/beginDate", Use::kKeep)},
          joined(
              section_reference("/studentSectionAssociationReference"),
              {column("gradingPeriodDescriptor", "/gradingPeriodReference/gradingPeriodDescriptor",
                      Use::kKeep),
               column("gradingPeriodName", "/gradingPeriodReference/gradingPeriodName", Use::kKeep),
               column("periodSequence", "/gradingPeriodReference/periodSequence", Use::kKeep),
               column("gradingPeriodSchoolYear", "/gradingPeriodReference/schoolYear", Use::kKeep),
               member("gradeTypeDescriptor", Use::kKeep), member("letterGradeEarned", Use::kKeep),
               member("numericGradeEarned", Use::kKeep),
               member("currentGradeIndicator", Use::kKeep),
               member("currentGradeAsOfDate", Use::kKeep),
               member("performanceBaseConversionDescriptor", Use::kKeep),
               member("diagnosticStatement", Use::kDrop)}))));
  list.push_back(resource(
      "schools", Use::kKeep,
      {member("schoolId", Use::kKeep), member("nameOfInstitution", Use::kKeep),
       member("shortNameOfInstitution", Use::kKeep),
       column("localEducationAgencyId", "/localEducationAgencyReference/localEducationAgencyId",
              Use::kKeep),
       member("schoolTypeDescriptor", Use::kKeep),
       member("operationalStatusDescriptor", Use::kKeep),
       member("charterStatusDescriptor", Use::kKeep),
       member("administrativeFundingControlDescriptor", Use::kKeep),
       member("titleIPartASchoolDesignationDescriptor", Use::kKeep),
       column("gradeLevels", "/gradeLevels/*/gradeLevelDescriptor", Use::kKeep),
       column("schoolCategories", "/schoolCategories/*/schoolCategoryDescriptor", Use::kKeep),
       member("webSite", Use::kKeep)}));
  list.push_back(
      resource("sections", Use::kKeep,
               {member("sectionIdentifier", Use::kKeep),
                column("localCourseCode", "/courseOfferingReference/localCourseCode", Use::kKeep),
                column("schoolId", "/courseOfferingReference/schoolId", Use::kKeep),
                column("schoolYear", "/courseOfferingReference/schoolYear", Use::kKeep),
                column("sessionName", "/courseOfferingReference/sessionName", Use::kKeep),
                member("sectionName", Use::kKeep), member("sequenceOfCourse", Use::kKeep),
                member("educationalEnvironmentDescriptor", Use::kKeep),
                column("locationSchoolId", "/locationSchoolReference/schoolId", Use::kKeep),
                column("classroomIdentificationCode",
                       "/locationReference/classroomIdentificationCode", Use::kKeep),
                column("classPeriods", "/classPeriods/*/classPeriodReference/classPeriodName",
                       Use::kKeep)}));
  list.push_back(resource(
      "staffs", Use::kRecord,
      {member("staffUniqueId", Use::kUser), member("firstName", Use::kDrop),
       member("middleName", Use::kDrop), member("lastSurname", Use::kDrop),
       member("birthDate", Use::kYear), member("sexDescriptor", Use::kDrop),
       member("highestCompletedLevelOfEducationDescriptor", Use::kKeep),
       member("yearsOfPriorProfessionalExperience", Use::kKeep), member("loginId", Use::kDrop),
       column("electronicMails", "/electronicMails/*/electronicMailAddress", Use::kDrop)}));
  list.push_back(
      resource("staffSectionAssociations", Use::kRecord,
               joined({column("staffUniqueId", "/staffReference/staffUniqueId", Use::kUser)},
                      joined(section_reference("/sectionReference"),
                             {member("beginDate", Use::kKeep), member("endDate", Use::kKeep),
                              member("classroomPositionDescriptor", Use::kKeep),
                              member("highlyQualifiedTeacher", Use::kKeep),
                              member("teacherStudentDataLinkExclusion", Use::kKeep)}))));
  list.push_back(resource(
      "studentSchoolAssociations", Use::kRecord,
      {column("studentUniqueId", "/studentReference/studentUniqueId", Use::kUser),
       column("schoolId", "/schoolReference/schoolId", Use::kKeep), member("entryDate", Use::kKeep),
       member("entryGradeLevelDescriptor", Use::kKeep), member("entryTypeDescriptor", Use::kKeep),
       member("exitWithdrawDate", Use::kKeep), member("exitWithdrawTypeDescriptor", Use::kKeep),
       member("primarySchool", Use::kKeep),
       column("schoolYear", "/schoolYearTypeReference/schoolYear", Use::kKeep),
       column("classOfSchoolYear", "/classOfSchoolYearTypeReference/schoolYear", Use::kKeep),
       column("graduationPlanTypeDescriptor",
              "/graduationPlanReference/graduationPlanTypeDescriptor", Use::kKeep),
       member("repeatGradeIndicator", Use::kKeep),
       member("residencyStatusDescriptor", Use::kKeep)}));
  list.push_back(resource(
      "studentSchoolAttendanceEvents", Use::kRecord,
      {column("studentUniqueId", "/studentReference/studentUniqueId", Use::kUser),
       column("schoolId", "/schoolReference/schoolId", Use::kKeep),
       column("schoolYear", "/sessionReference/schoolYear", Use::kKeep),
       column("sessionName", "/sessionReference/sessionName", Use::kKeep),
       member("eventDate", Use::kKeep), member("attendanceEventCategoryDescriptor", Use::kKeep),
       member("attendanceEventReason", Use::kDrop),
       member("educationalEnvironmentDescriptor", Use::kKeep), member("eventDuration", Use::kKeep),
       member("schoolAttendanceDuration", Use::kKeep), member("arrivalTime", Use::kKeep),
       member("departureTime", Use::kKeep)}));
  list.push_back(
      resource("studentSectionAssociations", Use::kRecord,
               joined({column("studentUniqueId", "/studentReference/studentUniqueId", Use::kUser)},
                      joined(section_reference("/sectionReference"),
                             {member("beginDate", Use::kKeep), member("endDate", Use::kKeep),
                              member("homeroomIndicator", Use::kKeep),
                              member("repeatIdentifierDescriptor", Use::kKeep),
                              member("attemptStatusDescriptor", Use::kKeep),
                              member("teacherStudentDataLinkExclusion", Use::kKeep)}))));
  list.push_back(resource(
      "studentSectionAttendanceEvents", Use::kRecord,
      joined({column("studentUniqueId", "/studentReference/studentUniqueId", Use::kUser)},
             joined(section_reference("/sectionReference"),
                    {member("eventDate", Use::kKeep),
                     member("attendanceEventCategoryDescriptor", Use::kKeep),
                     member("attendanceEventReason", Use::kDrop),
                     member("educationalEnvironmentDescriptor", Use::kKeep),
                     member("eventDuration", Use::kKeep),
                     member("sectionAttendanceDuration", Use::kKeep),
                     member("arrivalTime", Use::kKeep), member("departureTime", Use::kKeep)}))));
  list.push_back(
      resource("students", Use::kRecord,
               {member("studentUniqueId", Use::kUser), member("firstName", Use::kDrop),
                member("middleName", Use::kDrop), member("lastSurname", Use::kDrop),
                member("generationCodeSuffix", Use::kDrop), member("birthDate", Use::kYear),
                member("birthCity", Use::kDrop), member("birthCountryDescriptor", Use::kDrop),
                member("birthSexDescriptor", Use::kDrop), member("multipleBirthStatus", Use::kDrop),
                member("dateEnteredUS", Use::kDrop)}));
  return list;
}

}  // namespace

const std::vector<KnownResource>& known_resources() {
  static const std::vector<KnownResource> list = build_resources();
  return list;
}

const KnownResource* find_known(std::string_view stream) {
  for (const KnownResource& known : known_resources()) {
    if (known.stream == stream) return &known;
  }
  return nullptr;
}

std::vector<config::StreamSettings> preset_streams() {
  std::vector<config::StreamSettings> streams;
  for (const KnownResource& known : known_resources()) {
    std::vector<FieldPolicy> fields;
    for (const ResourceColumn& each : known.columns) fields.push_back(each.policy);
    streams.push_back(build::stream(known.stream, {"id"}, std::move(fields)));
  }
  return streams;
}

bool is_descriptor_path(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.ends_with("Descriptor");
}

}  // namespace ferry::connectors::edfi
