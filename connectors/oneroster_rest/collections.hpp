// The OneRoster REST collections Ferry reads, and how each record's JSON becomes the columns of
// the CSV binding (docs/connectors/oneroster_rest.md, "Columns"): a GUIDRef such as
// `"primaryOrg": {"sourcedId": "o1", ...}` becomes primaryOrgSourcedId, a list of GUIDRefs or of
// strings the comma-joined list the CSV binding writes, so that the oneroster preset and its
// token domains apply unchanged and the tenant gets the same rows from either binding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connectors/http_api/json_rows.hpp"

namespace ferry::connectors::oneroster_rest {

// The OneRoster version of the service (`version:`): it decides the columns, which are those of
// that version's CSV binding, so that the same data read as CSV or through the API gives the same
// rows. Only users differs: 1.2 moved role and orgSourcedIds to roles and added
// userMasterIdentifier, resourceSourcedIds, the preferred names, primaryOrgSourcedId, pronouns.
enum class Version { k1_1, k1_2 };

struct Collection {
  std::string stream;  // the stream and the CSV file's name: "academicSessions"
  std::string path;    // under the API's base URL: "academicSessions"
  std::string member;  // the JSON member holding the records: "academicSessions"
  std::vector<http_api::JsonColumn> columns;  // sourcedId first
};

// The rostering collections of `version`: academicSessions, classes, courses, demographics,
// enrollments, orgs, users.
const std::vector<Collection>& collections(Version version);

const Collection* find_collection(Version version, std::string_view stream);

}  // namespace ferry::connectors::oneroster_rest
