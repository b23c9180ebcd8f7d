// SourceStates on its own: each source's resume state.
#include "agent/spool/source_states.hpp"

#include <catch2/catch.hpp>

#include "tests/agent/spool/spool_db.hpp"

namespace ferry::spool {
namespace {

TEST_CASE("a source's state is stored, replaced and forgotten, and other sources keep theirs") {
  test::SpoolDb site;
  SourceStates states(site.db);
  CHECK_FALSE(states.get("sis").value());
  REQUIRE(states.put("sis", "offset=10"));
  REQUIRE(states.put("lms", "cursor=a"));
  REQUIRE(states.put("sis", "offset=20"));
  CHECK(states.get("sis").value() == "offset=20");
  CHECK(site.number("SELECT count(*) FROM source_state") == 2);
  CHECK(site.number("SELECT min(updated_unix) FROM source_state") > 0);
  REQUIRE(states.forget("sis"));
  REQUIRE(states.forget("never-read"));
  CHECK_FALSE(states.get("sis").value());
  CHECK(states.get("lms").value() == "cursor=a");
}

TEST_CASE("an empty state is a state") {
  test::SpoolDb site;
  SourceStates states(site.db);
  REQUIRE(states.put("sis", ""));
  CHECK(states.get("sis").value() == std::optional<std::string>(""));
}

}  // namespace
}  // namespace ferry::spool
