#include "connectors/files/recognise.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error/path_text.hpp"
#include "connectors/files/text.hpp"

namespace ferry::connectors::files {
namespace {

// How to read each kind with the csv connector.
constexpr std::string_view kCleverHow = "type: csv, preset: clever (docs/connectors/csv.md)";
constexpr std::string_view kSdsHow = "type: csv, preset: sds (docs/connectors/csv.md)";

// The names of `wanted` that are among `names`, as wanted spells them.
std::vector<std::string_view> present(const std::vector<std::string>& names,
                                      std::span<const std::string_view> wanted) {
  std::vector<std::string_view> found;
  for (const std::string_view name : wanted) {
    const bool there = std::any_of(names.begin(), names.end(), [&](const std::string& candidate) {
      const std::size_t slash = candidate.rfind('/');
      const std::string_view base = slash == std::string::npos
                                        ? std::string_view(candidate)
                                        : std::string_view(candidate).substr(slash + 1);
      return equals_ignoring_case(base, name);
    });
    if (there) found.push_back(name);
  }
  return found;
}

}  // namespace

std::optional<Recognised> recognise_export(const std::vector<std::string>& names) {
  constexpr std::array<std::string_view, 1> kOneRoster = {"manifest.csv"};
  constexpr std::array<std::string_view, 5> kClever = {
      "schools.csv", "students.csv", "teachers.csv", "sections.csv", "enrollments.csv"};
  constexpr std::array<std::string_view, 6> kSdsV1 = {
      "School.csv",  "Section.csv",           "Student.csv",
      "Teacher.csv", "StudentEnrollment.csv", "TeacherRoster.csv"};
  // Files of SDS v2.1 that a OneRoster export does not have (both have users.csv, orgs.csv ...).
  constexpr std::array<std::string_view, 3> kSdsV21 = {"roles.csv", "relationships.csv",
                                                       "userFlags.csv"};
  if (!present(names, kOneRoster).empty()) {
    return Recognised{"a OneRoster export (manifest.csv)",
                      "type: oneroster_csv (docs/connectors/oneroster_csv.md)", "oneroster_csv",
                      ""};
  }
  if (const auto found = present(names, kClever); found.size() >= 3) {
    return Recognised{fmt::format("a Clever export ({})", fmt::join(found, ", ")),
                      std::string(kCleverHow), "csv", "clever"};
  }
  if (const auto found = present(names, kSdsV1); found.size() >= 3) {
    return Recognised{
        fmt::format("a Microsoft School Data Sync v1 export ({})", fmt::join(found, ", ")),
        std::string(kSdsHow), "csv", "sds"};
  }
  if (const auto found = present(names, kSdsV21); !found.empty()) {
    return Recognised{
        fmt::format("a Microsoft School Data Sync v2.1 export ({})", fmt::join(found, ", ")),
        std::string(kSdsHow), "csv", "sds"};
  }
  return std::nullopt;
}

std::optional<Recognised> recognise_folder(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file(error)) names.push_back(path_text(it->path().filename()));
  }
  if (error) return std::nullopt;
  return recognise_export(names);
}

}  // namespace ferry::connectors::files
