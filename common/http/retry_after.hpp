// When to try again: the Retry-After header of a 429 or 503 answer (RFC 9110 section 10.2.3), and
// exponential back-off with jitter for the failures that carry no such advice.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace ferry::http {

// The wait a Retry-After value asks for: delay-seconds ("120"), or an HTTP-date in the preferred
// IMF-fixdate form ("Wed, 21 Oct 2015 07:28:00 GMT"), measured from `now` (a date in the past is
// no wait). nullopt when it is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// The wait before retry number `retry` (1 for the first): first * 2^(retry-1), capped at `max`,
// then a random share of up to a quarter taken off (so that many agents do not retry in step).
std::chrono::milliseconds backoff_delay(int retry, std::chrono::milliseconds first,
                                        std::chrono::milliseconds max);

}  // namespace ferry::http
