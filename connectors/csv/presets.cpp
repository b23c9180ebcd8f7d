// The clever and sds presets. Keep docs/connectors/csv.md ("The clever preset", "The sds preset")
// in step: a test compares the two field by field.
#include "connectors/csv/presets.hpp"

#include "common/config/field_builders.hpp"

namespace ferry::connectors::csv {
namespace {

using config::Normalize;
using config::build::drop;
using config::build::hash;
using config::build::keep;
using config::build::pseudonymize;
using config::build::stream;
using config::build::year;

// Clever's dates of birth are MM/DD/YYYY (Clever SFTP instructions, students.csv).
constexpr std::string_view kUsDate = "%m/%d/%Y";

PresetStream file(std::string_view name, std::string_view file_name, std::vector<std::string> key,
                  std::vector<config::FieldPolicy> fields, std::string_view version = {}) {
  return {stream(name, std::move(key), std::move(fields)), std::string(file_name),
          std::string(version)};
}

std::vector<PresetStream> clever() {
  std::vector<PresetStream> streams;
  streams.push_back(
      file("schools", "schools.csv", {"School_id"},
           {keep("School_id"), keep("School_name"), keep("School_number"), keep("State_id"),
            keep("Nces_id"), keep("Low_grade"), keep("High_grade"), drop("Principal"),
            drop("Principal_email"), keep("School_address"), keep("School_city"),
            keep("School_state"), keep("School_zip"), keep("School_phone")}));
  streams.push_back(file("students", "students.csv", {"Student_id"},
                         {keep("School_id"),
                          pseudonymize("Student_id", "user"),
                          pseudonymize("Student_number", "student_number"),
                          pseudonymize("State_id", "state_id"),
                          drop("Last_name"),
                          drop("Middle_name"),
                          drop("First_name"),
                          drop("Gender"),
                          year("Dob", kUsDate),
                          keep("Grade"),
                          drop("Race"),
                          drop("Hispanic_Latino"),
                          drop("Ell_status"),
                          drop("Frl_status"),
                          drop("Iep_status"),
                          drop("Home_language"),
                          drop("Student_street"),
                          drop("Student_city"),
                          drop("Student_state"),
                          drop("Student_zip"),
                          hash("Student_email", "email", Normalize::kLower),
                          drop("Contact_name"),
                          drop("Contact_type"),
                          drop("Contact_phone"),
                          drop("Contact_email"),
                          drop("Contact_relationship"),
                          pseudonymize("Username", "username", Normalize::kLower),
                          drop("Password"),
                          keep("Graduation_year")}));
  streams.push_back(
      file("teachers", "teachers.csv", {"Teacher_id"},
           {keep("School_id"), pseudonymize("Teacher_id", "user"),
            pseudonymize("Teacher_number", "teacher_number"),
            pseudonymize("State_teacher_id", "state_id"), drop("Last_name"), drop("Middle_name"),
            drop("First_name"), hash("Teacher_email", "email", Normalize::kLower), keep("Title"),
            pseudonymize("Username", "username", Normalize::kLower), drop("Password")}));
  std::vector<config::FieldPolicy> sections = {keep("School_id"), keep("Section_id"),
                                               pseudonymize("Teacher_id", "user")};
  for (int n = 2; n <= 10; ++n) {
    sections.push_back(pseudonymize("Teacher_" + std::to_string(n) + "_id", "user"));
  }
  for (const char* column :
       {"Name", "Section_number", "Grade", "Course_name", "Course_number", "Course_description",
        "Period", "Subject", "Term_name", "Term_start", "Term_end"}) {
    sections.push_back(keep(column));
  }
  streams.push_back(file("sections", "sections.csv", {"Section_id"}, std::move(sections)));
  streams.push_back(
      file("enrollments", "enrollments.csv", {"Section_id", "Student_id"},
           {keep("School_id"), keep("Section_id"), pseudonymize("Student_id", "user")}));
  streams.push_back(file(
      "staff", "staff.csv", {"Staff_id"},
      {keep("School_id"), pseudonymize("Staff_id", "user"),
       hash("Staff_email", "email", Normalize::kLower), drop("First_name"), drop("Last_name"),
       keep("Department"), keep("Title"), pseudonymize("Username", "username", Normalize::kLower),
       drop("Password"), keep("Role")}));
  return streams;
}

// SDS v1: School, Section, Student, Teacher, StudentEnrollment, TeacherRoster. Dates are US
// style (4/2/2000).
void add_sds_v1(std::vector<PresetStream>& streams) {
  constexpr std::string_view kV1 = "v1";
  streams.push_back(
      file("School", "School.csv", {"SIS ID"},
           {keep("SIS ID"), keep("Name"), keep("School Number"), keep("School NCES_ID"),
            keep("State ID"), keep("Grade Low"), keep("Grade High"),
            pseudonymize("Principal SIS ID", "user"), drop("Principal Name"),
            drop("Principal Secondary Email"), keep("Address"), keep("City"), keep("State"),
            keep("Country"), keep("Zip"), keep("Phone"), keep("Zone")},
           kV1));
  streams.push_back(
      file("Section", "Section.csv", {"SIS ID"},
           {keep("SIS ID"), keep("School SIS ID"), keep("Section Name"), keep("Section Number"),
            keep("Term SIS ID"), keep("Term Name"), keep("Term StartDate"), keep("Term EndDate"),
            keep("Course SIS ID"), keep("Course Name"), keep("Course Number"),
            keep("Course Description"), keep("Course Subject"), keep("Periods"), keep("Status")},
           kV1));
  streams.push_back(file(
      "Student", "Student.csv", {"SIS ID"},
      {pseudonymize("SIS ID", "user"), keep("School SIS ID"), drop("First Name"), drop("Last Name"),
       drop("Middle Name"), pseudonymize("Username", "username", Normalize::kLower),
       drop("Password"), pseudonymize("State ID", "state_id"), drop("Secondary Email"),
       pseudonymize("Student Number", "student_number"), keep("Grade"), keep("Status"),
       year("Birthdate", kUsDate), keep("Graduation Year")},
      kV1));
  streams.push_back(
      file("Teacher", "Teacher.csv", {"SIS ID"},
           {pseudonymize("SIS ID", "user"), keep("School SIS ID"), drop("First Name"),
            drop("Last Name"), drop("Middle Name"),
            pseudonymize("Username", "username", Normalize::kLower), drop("Password"),
            pseudonymize("State ID", "state_id"), pseudonymize("Teacher Number", "teacher_number"),
            keep("Status"), drop("Secondary Email"), keep("Title"), keep("Qualification")},
           kV1));
  streams.push_back(file("StudentEnrollment", "StudentEnrollment.csv", {"Section SIS ID", "SIS ID"},
                         {keep("Section SIS ID"), pseudonymize("SIS ID", "user")}, kV1));
  streams.push_back(file("TeacherRoster", "TeacherRoster.csv", {"Section SIS ID", "SIS ID"},
                         {keep("Section SIS ID"), pseudonymize("SIS ID", "user")}, kV1));
}

// SDS v2.1: OneRoster-like files with their own headers.
void add_sds_v21(std::vector<PresetStream>& streams) {
  constexpr std::string_view kV21 = "v2.1";
  streams.push_back(file(
      "orgs", "orgs.csv", {"sourcedId"},
      {keep("sourcedId"), keep("name"), keep("type"), keep("identifier"), keep("parentSourcedId")},
      kV21));
  streams.push_back(file(
      "users", "users.csv", {"sourcedId"},
      {pseudonymize("sourcedId", "user"), pseudonymize("username", "username", Normalize::kLower),
       drop("givenName"), drop("familyName"), drop("middleName"), drop("preferredGivenName"),
       drop("preferredFamilyName"), drop("password"),
       pseudonymize("activeDirectoryMatchId", "directory_id"),
       hash("email", "email", Normalize::kLower), drop("phone"), drop("sms")},
      kV21));
  streams.push_back(file("roles", "roles.csv", {"userSourcedId", "orgSourcedId", "role"},
                         {pseudonymize("userSourcedId", "user"), keep("orgSourcedId"), keep("role"),
                          keep("sessionSourcedId"), keep("grade"), keep("isPrimary"),
                          keep("roleStartDate"), keep("roleEndDate")},
                         kV21));
  streams.push_back(
      file("classes", "classes.csv", {"sourcedId"},
           {keep("sourcedId"), keep("orgSourcedId"), keep("title"), keep("sessionSourcedIds"),
            keep("courseSourcedId"), keep("code"), keep("subject"), keep("grade"), keep("periods")},
           kV21));
  streams.push_back(file("courses", "courses.csv", {"sourcedId"},
                         {keep("sourcedId"), keep("orgSourcedId"), keep("title"), keep("code"),
                          keep("schoolYearSourcedId"), keep("subject"), keep("grade")},
                         kV21));
  streams.push_back(file("academicSessions", "academicSessions.csv", {"sourcedId"},
                         {keep("sourcedId"), keep("title"), keep("type"), keep("schoolYear"),
                          keep("startDate"), keep("endDate"), keep("parentSourcedId")},
                         kV21));
  streams.push_back(
      file("enrollments", "enrollments.csv", {"classSourcedId", "userSourcedId"},
           {keep("classSourcedId"), pseudonymize("userSourcedId", "user"), keep("role")}, kV21));
  streams.push_back(
      file("relationships", "relationships.csv", {"userSourcedId", "relationshipUserSourcedId"},
           {pseudonymize("userSourcedId", "user"),
            pseudonymize("relationshipUserSourcedId", "user"), keep("relationshipRole")},
           kV21));
  streams.push_back(file(
      "demographics", "demographics.csv", {"userSourcedId"},
      {pseudonymize("userSourcedId", "user"), year("birthDate"), drop("sex"), drop("birthCity"),
       drop("birthState"), drop("birthCountry"), drop("ethnicityCodes"), drop("raceCodes")},
      kV21));
  streams.push_back(file("userFlags", "userFlags.csv", {"userSourcedId", "flag"},
                         {pseudonymize("userSourcedId", "user"), keep("flag")}, kV21));
}

std::vector<config::StreamSettings> settings_of(const std::vector<PresetStream>& table) {
  std::vector<config::StreamSettings> streams;
  for (const PresetStream& entry : table) streams.push_back(entry.settings);
  return streams;
}

}  // namespace

std::vector<PresetStream> preset_table(std::string_view preset) {
  std::vector<PresetStream> streams;
  if (preset == "clever") streams = clever();
  if (preset == "sds") {
    add_sds_v1(streams);
    add_sds_v21(streams);
  }
  return streams;
}

std::vector<config::StreamSettings> clever_streams() { return settings_of(preset_table("clever")); }

std::vector<config::StreamSettings> sds_streams() { return settings_of(preset_table("sds")); }

}  // namespace ferry::connectors::csv
