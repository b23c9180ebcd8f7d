// Test helper: writes a zip file with libarchive, as an SIS export drop would have it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ferry::connectors::oneroster_csv::test {

// Entries are (path inside the zip, content), written deflated in this order. Fails the test
// (Catch REQUIRE) when libarchive refuses.
void write_zip(const std::filesystem::path& zip,
               const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace ferry::connectors::oneroster_csv::test
