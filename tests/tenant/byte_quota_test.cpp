#include "tests/tenant/byte_quota.hpp"

#include <catch2/catch.hpp>

namespace ferry::tenant {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const ByteQuota::Clock::time_point kStart{seconds(1000)};

TEST_CASE("without a quota every batch may go on") {
  ByteQuota quota(0);
  quota.spend("school-042", 1u << 30, kStart);
  CHECK_FALSE(quota.wait_before("school-042", kStart));
}

TEST_CASE("an agent at its quota waits until its oldest bytes leave the minute") {
  ByteQuota quota(1000);
  CHECK_FALSE(quota.wait_before("school-042", kStart));
  quota.spend("school-042", 600, kStart);
  CHECK_FALSE(quota.wait_before("school-042", kStart + seconds(10)));  // 600 is below 1000
  quota.spend("school-042", 600, kStart + seconds(10));  // below the quota, so it went on: 1200

  // 1200 until kStart + 60 s, then 600: below the quota again.
  CHECK(quota.wait_before("school-042", kStart + seconds(10)) == seconds(50));
  CHECK(quota.wait_before("school-042", kStart + milliseconds(59'001)) == seconds(1));
  CHECK_FALSE(quota.wait_before("school-042", kStart + seconds(60)));
  // Another agent has its own minute.
  CHECK_FALSE(quota.wait_before("school-043", kStart + seconds(10)));
}

TEST_CASE("a batch larger than the quota goes on in an empty minute, then the agent waits") {
  ByteQuota quota(100);
  CHECK_FALSE(quota.wait_before("school-042", kStart));
  quota.spend("school-042", 5000, kStart);
  CHECK(quota.wait_before("school-042", kStart + milliseconds(500)) == seconds(60));
  CHECK(quota.wait_before("school-042", kStart + seconds(59)) == seconds(1));
  CHECK_FALSE(quota.wait_before("school-042", kStart + seconds(60)));
}

TEST_CASE("the wait counts only as many old batches as it takes to fall below the quota") {
  ByteQuota quota(1000);
  quota.spend("school-042", 300, kStart);
  quota.spend("school-042", 300, kStart + seconds(20));
  quota.spend("school-042", 500, kStart + seconds(40));  // 1100 in the minute
  // Once the first 300 leave (at +60 s), 800 remain: below 1000.
  CHECK(quota.wait_before("school-042", kStart + seconds(45)) == seconds(15));
}

}  // namespace
}  // namespace ferry::tenant
