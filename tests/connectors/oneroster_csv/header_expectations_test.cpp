#include "connectors/oneroster_csv/header_expectations.hpp"

#include <catch2/catch.hpp>

#include "connectors/oneroster_csv/oneroster_csv.hpp"

namespace ferry::connectors::oneroster_csv {

TEST_CASE("header expectations key every preset file by sourcedId") {
  config::SourceSettings settings;
  settings.preset = "oneroster";
  const auto expected = header_expectations(settings);
  CHECK(expected.size() == preset_streams().size());
  for (const auto& [stream, expectation] : expected) {
    INFO(stream);
    CHECK(expectation.key == "sourcedId");
    CHECK(expectation.as_written.empty());
  }
}

TEST_CASE("header expectations take a configured stream as written, in place of the preset's") {
  config::SourceSettings settings;
  settings.preset = "oneroster";
  config::StreamSettings demographics;
  demographics.name = "demographics";
  demographics.key = "userSourcedId";
  demographics.fields.push_back({});
  demographics.fields.back().name = "userSourcedId";
  demographics.fields.push_back({});
  demographics.fields.back().name = "birthdate";
  settings.streams.push_back(demographics);
  config::StreamSettings unkeyed;
  unkeyed.name = "x.vendor";
  settings.streams.push_back(unkeyed);

  const auto expected = header_expectations(settings);
  CHECK(expected.at("demographics").key == "userSourcedId");
  CHECK(expected.at("demographics").as_written ==
        std::vector<std::string>{"userSourcedId", "birthdate"});
  CHECK(expected.at("users").key == "sourcedId");
  // No key written: the agent keys by sourcedId when the file has it, and says so when not.
  CHECK(expected.at("x.vendor").key.empty());
}

TEST_CASE("header expectations are empty without the oneroster preset or streams") {
  config::SourceSettings settings;
  CHECK(header_expectations(settings).empty());
  settings.preset = "some-other-preset";
  CHECK(header_expectations(settings).empty());
}

}  // namespace ferry::connectors::oneroster_csv
