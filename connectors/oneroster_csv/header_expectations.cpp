#include "connectors/oneroster_csv/header_expectations.hpp"

#include <algorithm>

#include "connectors/oneroster_csv/oneroster_csv.hpp"

namespace ferry::connectors::oneroster_csv {

HeaderExpectations header_expectations(const config::SourceSettings& settings) {
  HeaderExpectations expected;
  // The preset's name as connectors/registry registers it.
  if (settings.preset == "oneroster") {
    for (const auto& stream : preset_streams()) expected[stream.name].key = stream.key;
  }
  for (const auto& stream : settings.streams) {
    HeaderExpectation& expectation = expected[stream.name];
    expectation.key = stream.key;
    expectation.as_written.clear();
    for (const auto& field : stream.fields) expectation.as_written.push_back(field.name);
    // Every key column (a composite key's too) is matched by name like a listed field.
    for (const std::string& key : config::key_columns(stream)) {
      const auto& written = expectation.as_written;
      if (std::find(written.begin(), written.end(), key) == written.end()) {
        expectation.as_written.push_back(key);
      }
    }
  }
  return expected;
}

}  // namespace ferry::connectors::oneroster_csv
