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

TEST_CASE(
    "a source's last change is kept, a run without rows leaves it, and the first success "
    "is written once") {
  test::SpoolDb site;
  SourceStates states(site.db);
  CHECK_FALSE(states.activity("sis").value());
  // The first run succeeds with nothing to send (an empty export).
  REQUIRE(states.record_run("sis", {.ended_unix = 100, .rows_spooled = 0, .succeeded = true}));
  auto sis = states.activity("sis").value();
  REQUIRE(sis);
  CHECK(sis->first_success_unix == 100);
  CHECK_FALSE(sis->last_change_unix);
  CHECK(sis->rows_last_change == 0);
  // A failed run that spooled rows is a change; a later success is not the first.
  REQUIRE(states.record_run("sis", {.ended_unix = 200, .rows_spooled = 7, .succeeded = false}));
  REQUIRE(states.record_run("sis", {.ended_unix = 300, .rows_spooled = 0, .succeeded = true}));
  sis = states.activity("sis").value();
  CHECK(sis->first_success_unix == 100);
  CHECK(sis->last_change_unix == 200);
  CHECK(sis->rows_last_change == 7);
  REQUIRE(states.record_run("sis", {.ended_unix = 400, .rows_spooled = 3, .succeeded = true}));
  sis = states.activity("sis").value();
  CHECK(sis->last_change_unix == 400);
  CHECK(sis->rows_last_change == 3);
  // A reset of the source's state (a re-read) keeps when it last changed; other sources have none.
  REQUIRE(states.forget("sis"));
  CHECK(states.activity("sis").value()->last_change_unix == 400);
  CHECK_FALSE(states.activity("lms").value());
}

TEST_CASE(
    "a spool made before source_activity reads no activity, and gets the table when "
    "migrated") {
  test::SpoolDb site;
  REQUIRE(site.db.exec("DROP TABLE source_activity"));
  SourceStates states(site.db);
  CHECK_FALSE(states.activity("sis").value());
  REQUIRE(SourceStates::migrate(site.db));
  REQUIRE(SourceStates::migrate(site.db));  // a no-op the second time
  REQUIRE(states.record_run("sis", {.ended_unix = 100, .rows_spooled = 1, .succeeded = true}));
  CHECK(states.activity("sis").value()->last_change_unix == 100);
}

}  // namespace
}  // namespace ferry::spool
