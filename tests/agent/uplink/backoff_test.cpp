// Re-dial delays: exponential ceilings with full jitter, capped, and reset after a good
// connection.
#include "agent/uplink/backoff.hpp"

#include <catch2/catch.hpp>

using ferry::uplink::Backoff;
using std::chrono::milliseconds;

TEST_CASE("the ceiling doubles from min_delay up to max_delay, and reset starts again") {
  Backoff backoff(milliseconds(1000), milliseconds(300'000), 42);
  std::vector<milliseconds> ceilings;
  for (int i = 0; i < 12; ++i) {
    ceilings.push_back(backoff.ceiling());
    const auto delay = backoff.next();
    CHECK(delay <= ceilings.back());
    CHECK(delay >= milliseconds(10));
  }
  CHECK(ceilings[0] == milliseconds(1000));
  CHECK(ceilings[1] == milliseconds(2000));
  CHECK(ceilings[5] == milliseconds(32'000));
  CHECK(ceilings[9] == milliseconds(300'000));
  CHECK(ceilings[11] == milliseconds(300'000));
  backoff.reset();
  CHECK(backoff.ceiling() == milliseconds(1000));
}

TEST_CASE("delays are spread over the whole range (full jitter), not clustered at the top") {
  Backoff backoff(milliseconds(60'000), milliseconds(60'000), 7);
  int low = 0;
  int high = 0;
  for (int i = 0; i < 200; ++i) {
    const auto delay = backoff.next();
    if (delay < milliseconds(20'000)) ++low;
    if (delay > milliseconds(40'000)) ++high;
  }
  CHECK(low > 30);
  CHECK(high > 30);
}

TEST_CASE("many failures never overflow the ceiling") {
  Backoff backoff(milliseconds(1000), milliseconds(300'000), 1);
  for (int i = 0; i < 1000; ++i) backoff.next();
  CHECK(backoff.ceiling() == milliseconds(300'000));
}
