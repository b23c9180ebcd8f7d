// What a source's configuration expects of the header row of each file: the column that keys its
// rows, and the names it writes for the file's columns. With them the connector fails a file whose
// rows could not be keyed before the agent takes the stream, and `ferry check` says so.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/config/settings.hpp"

namespace ferry::connectors::oneroster_csv {

struct HeaderExpectation {
  // The column that must key the rows ("sourcedId"); "" when the configuration names none (the
  // agent then keys by sourcedId if the header has it, and fails the stream if not).
  std::string key;
  // The names the configuration writes for this stream (its key and fields): a column of exactly
  // such a name is taken as written, never renamed as an alias (canonicalize_columns).
  std::vector<std::string> as_written;
};

// By stream name ("users"); a stream not listed has no expectation.
using HeaderExpectations = std::map<std::string, HeaderExpectation, std::less<>>;

// From a source's settings: the oneroster preset's streams when it uses `preset: oneroster`, each
// replaced as a whole by a stream of the same name written under `streams:`, as the agent replaces
// them.
HeaderExpectations header_expectations(const config::SourceSettings& settings);

}  // namespace ferry::connectors::oneroster_csv
