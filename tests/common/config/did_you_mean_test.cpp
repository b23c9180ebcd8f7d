#include "common/config/did_you_mean.hpp"

#include <catch2/catch.hpp>

using ferry::config::did_you_mean;
using ferry::config::edit_distance;

TEST_CASE("edit distance counts a swap of neighbouring letters as one edit") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("flihgt", "flight") == 1);
  CHECK(edit_distance("max_infligth", "max_in_flight") == 2);
}

TEST_CASE("did you mean suggests the closest known word within two edits") {
  const std::vector<std::string> keys = {"enabled", "url", "token", "token_file", "max_in_flight"};
  CHECK(did_you_mean("max_infligth", keys) == "max_in_flight");
  CHECK(did_you_mean("tokn", keys) == "token");
  CHECK(did_you_mean("token_fille", keys) == "token_file");
  CHECK(did_you_mean("URL", keys) == "url");
  CHECK(did_you_mean("enabeld", keys) == "enabled");
}

TEST_CASE("did you mean stays silent when nothing is close") {
  const std::vector<std::string> keys = {"id", "tenant", "data_dir"};
  CHECK_FALSE(did_you_mean("colour", keys));
  CHECK_FALSE(did_you_mean("ca", keys));  // two edits from "id" is too far for a short word
  CHECK_FALSE(did_you_mean("x", {}));
}
