// The `lookback` stream option: how far before the last cursor value each read starts again, so
// that rows committed late with an older cursor value are still read (see
// docs/connectors/sqlite.md). Engine-neutral.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/config/duration.hpp"
#include "common/error/error.hpp"
#include "connectors/sqlite_query/cursor_value.hpp"

namespace ferry::connectors::sqlite_query {

struct Lookback {
  enum class Kind {
    kNone,      // read again from the last cursor value itself (inclusive), no further back
    kAmount,    // a number subtracted from integer and real cursors: "100", "0.5"
    kDuration,  // a duration subtracted from ISO-8601 text cursors: "10m"
  };
  Kind kind = Kind::kNone;
  double amount = 0;            // kAmount, for real cursors
  std::int64_t whole = 0;       // kAmount rounded up, for integer cursors
  config::Duration duration{};  // kDuration
  std::string text;             // as written, for messages
};

// Parses the option's text: a plain non-negative number, or a duration ("90s", "10m", "1h").
// The message names the text and both accepted forms.
Result<Lookback> parse_lookback(std::string_view text);

// The value to bind to :cursor: `last` moved back by `lookback`. NULL stays NULL. An error
// (kConfig, message without source or stream) when the lookback does not suit the cursor's type,
// e.g. a duration for a column of integers.
Result<CursorValue> apply_lookback(const CursorValue& last, const Lookback& lookback);

}  // namespace ferry::connectors::sqlite_query
