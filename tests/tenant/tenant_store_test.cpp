#include "tests/tenant/tenant_store.hpp"

#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/sqlite/database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tenant/path_part.hpp"
#include "tests/tenant/tenant_test_util.hpp"

namespace ferry::tenant {
namespace {

using test::header_for;
using test::kAgent;
using test::kSpool;

std::filesystem::path users_file(const ferry::test::TempDir& dir) {
  return dir / "school-042/sis/users.jsonl";
}

TenantStore open_store(const ferry::test::TempDir& dir) {
  auto store = TenantStore::open(dir.path());
  REQUIRE(store);
  return std::move(*store);
}

void append_raw(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

TEST_CASE("a spool the tenant has not seen has settled seq 0 and expects seq 1") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  CHECK(store.settled(kAgent, kSpool).value() == 0);
  auto placement = store.place(header_for(1));
  REQUIRE(placement);
  CHECK(placement->order == TenantStore::Order::kNext);
  CHECK(placement->expected == 1);
  CHECK(std::filesystem::exists(dir / "tenant.db"));
}

TEST_CASE("stored batches append their lines in seq order and settle their seqs") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.store(header_for(1), "{\"_op\":\"upsert\",\"id\":\"a\"}\n"));
  REQUIRE(store.store(header_for(2), "{\"_op\":\"upsert\",\"id\":\"b\"}\n"));
  CHECK(ferry::test::read_file(users_file(dir)) ==
        "{\"_op\":\"upsert\",\"id\":\"a\"}\n{\"_op\":\"upsert\",\"id\":\"b\"}\n");
  CHECK(store.settled(kAgent, kSpool).value() == 2);

  struct stat info {};
  REQUIRE(::stat(users_file(dir).c_str(), &info) == 0);
  CHECK((info.st_mode & 077) == 0);
}

TEST_CASE("a payload without a final newline gets one, so batches never share a line") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.store(header_for(1), "{\"id\":1}"));
  REQUIRE(store.store(header_for(2), "{\"id\":2}\n"));
  CHECK(ferry::test::read_file(users_file(dir)) == "{\"id\":1}\n{\"id\":2}\n");
}

TEST_CASE("a batch at or below the settled seq, or with a known batch_id, is a duplicate") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.store(header_for(1), "{}\n"));
  CHECK(store.place(header_for(1))->order == TenantStore::Order::kDuplicate);

  auto same_id = header_for(2);
  same_id.batch_id = "batch-1";
  CHECK(store.place(same_id)->order == TenantStore::Order::kDuplicate);
  CHECK(store.place(header_for(2))->order == TenantStore::Order::kNext);

  // Another spool of the same agent is a series of its own.
  auto other_spool = header_for(1);
  other_spool.spool_id = "0b1c2d3e-0000-4000-8000-000000000002";
  CHECK(store.place(other_spool)->order == TenantStore::Order::kNext);
}

TEST_CASE("a batch beyond the next seq is out of order and names the seq expected") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.store(header_for(1), "{}\n"));
  auto placement = store.place(header_for(3));
  REQUIRE(placement);
  CHECK(placement->order == TenantStore::Order::kOutOfOrder);
  CHECK(placement->expected == 2);
  CHECK_FALSE(store.store(header_for(3), "{}\n"));
  CHECK(store.settled(kAgent, kSpool).value() == 1);
}

TEST_CASE("a tail written before a crash without its commit is dropped before the next append") {
  ferry::test::TempDir dir;
  SECTION("by the next store") {
    auto store = open_store(dir);
    REQUIRE(store.store(header_for(1), "{\"id\":1}\n"));
    append_raw(users_file(dir), "{\"id\":2}\n{\"id\":");  // seq 2 written, never committed
    REQUIRE(store.store(header_for(2), "{\"id\":2}\n"));
    CHECK(ferry::test::read_file(users_file(dir)) == "{\"id\":1}\n{\"id\":2}\n");
  }
  SECTION("when the store is opened again after the crash") {
    {
      auto store = open_store(dir);
      REQUIRE(store.store(header_for(1), "{\"id\":1}\n"));
    }
    append_raw(users_file(dir), "{\"id\":2}\n");
    auto store = open_store(dir);
    CHECK(ferry::test::read_file(users_file(dir)) == "{\"id\":1}\n");
    CHECK(store.settled(kAgent, kSpool).value() == 1);
    REQUIRE(store.store(header_for(2), "{\"id\":2}\n"));
    CHECK(ferry::test::read_file(users_file(dir)) == "{\"id\":1}\n{\"id\":2}\n");
  }
  SECTION("a new file whose first batch never committed") {
    std::filesystem::create_directories(users_file(dir).parent_path());
    append_raw(users_file(dir), "{\"id\":1}\n");
    auto store = open_store(dir);
    REQUIRE(store.store(header_for(1), "{\"id\":1}\n"));
    CHECK(ferry::test::read_file(users_file(dir)) == "{\"id\":1}\n");
  }
}

TEST_CASE("the dedup state survives reopening the store") {
  ferry::test::TempDir dir;
  {
    auto store = open_store(dir);
    REQUIRE(store.store(header_for(1), "{}\n"));
    REQUIRE(store.store(header_for(2), "{}\n"));
  }
  auto store = open_store(dir);
  CHECK(store.settled(kAgent, kSpool).value() == 2);
  CHECK(store.place(header_for(2))->order == TenantStore::Order::kDuplicate);
  CHECK(store.place(header_for(3))->order == TenantStore::Order::kNext);
}

TEST_CASE("a rejected batch settles its seq and stores nothing") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.reject(header_for(1), "does not decrypt"));
  CHECK(store.settled(kAgent, kSpool).value() == 1);
  CHECK_FALSE(std::filesystem::exists(users_file(dir)));
  CHECK(store.place(header_for(1))->order == TenantStore::Order::kDuplicate);
  CHECK(store.place(header_for(2))->order == TenantStore::Order::kNext);
}

TEST_CASE("a gap settles seqs up to its end and is recorded once") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.store(header_for(1), "{}\n"));
  auto before = store.record_gap(kAgent, kSpool, 2, 5, 400, "spool full (when_full: drop_oldest)");
  REQUIRE(before);
  CHECK(*before == 1);
  CHECK(store.settled(kAgent, kSpool).value() == 5);
  CHECK(store.place(header_for(6))->order == TenantStore::Order::kNext);

  // The same gap again (its gap_ack was lost) changes nothing; an older one never lowers.
  CHECK(store.record_gap(kAgent, kSpool, 2, 5, 400, "again").value() == 5);
  CHECK(store.record_gap(kAgent, kSpool, 1, 3, 10, "old").value() == 5);
  CHECK(store.settled(kAgent, kSpool).value() == 5);
}

TEST_CASE("erase batches are appended to the agent's erase.jsonl") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  auto header = header_for(1, "", "");
  header.kind = "erase";
  const std::string lines = "{\"domain\":\"person\",\"token\":\"p1.abc\"}\n";
  REQUIRE(store.store(header, lines));
  CHECK(ferry::test::read_file(dir / "school-042/erase.jsonl") == lines);
}

TEST_CASE("names that could leave the output folder are refused") {
  CHECK(is_safe_path_part("users"));
  CHECK(is_safe_path_part("school-042.v2_a"));
  CHECK(is_safe_path_part("..."));
  CHECK_FALSE(is_safe_path_part(""));
  CHECK_FALSE(is_safe_path_part("."));
  CHECK_FALSE(is_safe_path_part(".."));
  CHECK_FALSE(is_safe_path_part("a/b"));
  CHECK_FALSE(is_safe_path_part("a\\b"));
  CHECK_FALSE(is_safe_path_part("a b"));
  CHECK_FALSE(is_safe_path_part(std::string_view("a\0b", 3)));

  ferry::test::TempDir dir;
  auto store = open_store(dir);
  auto climbing = header_for(1, "..", "users");
  CHECK_FALSE(TenantStore::check_storable(climbing));
  CHECK_FALSE(store.store(climbing, "{}\n"));
  CHECK_FALSE(TenantStore::check_storable(header_for(1, "sis", "../../etc/passwd")));
  auto odd_kind = header_for(1);
  odd_kind.kind = "truncate";
  CHECK_THAT(TenantStore::check_storable(odd_kind).error().message,
             Catch::Contains("unknown batch kind"));
  CHECK(store.settled(kAgent, kSpool).value() == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "school-042"));
}

TEST_CASE("command results are appended to the agent's commands.jsonl") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.append_command_result(kAgent, R"({"type":"command_result","id":"1","ok":true})"));
  REQUIRE(store.append_command_result(kAgent, R"({"type":"command_result","id":"2","ok":false})"));
  CHECK(ferry::test::read_file(dir / "school-042/commands.jsonl") ==
        "{\"type\":\"command_result\",\"id\":\"1\",\"ok\":true}\n"
        "{\"type\":\"command_result\",\"id\":\"2\",\"ok\":false}\n");
}

TEST_CASE("an output file shortened outside the tenant is reported, not appended to") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.store(header_for(1), "{\"id\":1}\n"));
  std::filesystem::resize_file(users_file(dir), 2);
  auto stored = store.store(header_for(2), "{\"id\":2}\n");
  REQUIRE_FALSE(stored);
  CHECK_THAT(stored.error().message, Catch::Contains("shortened or deleted"));
  CHECK(store.settled(kAgent, kSpool).value() == 1);
}

// Erasure (issue 5): an erase batch purges its tokens' rows from every rows file of its agent.

const std::string kUsers =
    "{\"_op\":\"upsert\",\"sourcedId\":\"p1.Ann\",\"email\":\"h1.AnnMail\"}\n"
    "{\"_op\":\"upsert\",\"sourcedId\":\"p1.Bob\",\"email\":\"h1.BobMail\"}\n"
    "{\"_op\":\"upsert\",\"sourcedId\":\"p1.Cy\",\"email\":null}\n";
const std::string kUsersWithoutAnn =
    "{\"_op\":\"upsert\",\"sourcedId\":\"p1.Bob\",\"email\":\"h1.BobMail\"}\n"
    "{\"_op\":\"upsert\",\"sourcedId\":\"p1.Cy\",\"email\":null}\n";
const std::string kEnrollments =
    "{\"_op\":\"upsert\",\"userSourcedId\":\"p1.Bob\",\"classSourcedId\":\"c1\"}\n"
    "{\"_op\":\"upsert\",\"userSourcedId\":\"p1.Ann\",\"classSourcedId\":\"c1\"}\n"
    "{\"_op\":\"delete\",\"userSourcedId\":\"p1.Ann\"}\n";
const std::string kEnrollmentsWithoutAnn =
    "{\"_op\":\"upsert\",\"userSourcedId\":\"p1.Bob\",\"classSourcedId\":\"c1\"}\n";
const std::string kClasses =
    "{\"_op\":\"upsert\",\"sourcedId\":\"c1\",\"teachers\":\"p1.Bob,p1.Ann,p1.Cy\"}\n"
    "{\"_op\":\"upsert\",\"sourcedId\":\"c2\",\"teachers\":\"p1.Bob,p1.Cy\"}\n";
const std::string kClassesWithoutAnn =
    "{\"_op\":\"upsert\",\"sourcedId\":\"c2\",\"teachers\":\"p1.Bob,p1.Cy\"}\n";
// Ann's tokens: one pseudonym and one hash, as `ferry erase --domain person` sends them.
const std::string kEraseAnn =
    "{\"domain\":\"person\",\"token\":\"p1.Ann\"}\n{\"domain\":\"person\",\"token\":\"h1.AnnMail\"}"
    "\n";

frame::Header erase_header(std::uint64_t seq) {
  auto header = header_for(seq, "", "");
  header.kind = "erase";
  header.rows = 2;
  return header;
}

std::filesystem::path rows_file(const ferry::test::TempDir& dir, std::string_view stream) {
  return dir / ("school-042/sis/" + std::string(stream) + ".jsonl");
}

// Users, enrollments and classes of school-042 (seqs 1 to 3), and users of school-043.
void store_school(TenantStore& store) {
  REQUIRE(store.store(header_for(1, "sis", "users"), kUsers));
  REQUIRE(store.store(header_for(2, "sis", "enrollments"), kEnrollments));
  REQUIRE(store.store(header_for(3, "sis", "classes"), kClasses));
  auto other_agent = header_for(1, "sis", "users");
  other_agent.agent_id = "school-043";
  REQUIRE(store.store(other_agent, kUsers));
}

std::int64_t count_in_db(const ferry::test::TempDir& dir, std::string_view sql) {
  auto db = sqlite::Database::open(dir / "tenant.db", sqlite::Database::Mode::kReadOnly);
  REQUIRE(db);
  auto query = db->prepare(sql);
  REQUIRE(query);
  auto row = query->step();
  REQUIRE(row);
  REQUIRE(*row);
  return query->column_int(0);
}

bool any_purge_file(const ferry::test::TempDir& dir) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.path().extension() == ".purge") return true;
  }
  return false;
}

void check_ann_erased(const ferry::test::TempDir& dir) {
  CHECK(ferry::test::read_file(rows_file(dir, "users")) == kUsersWithoutAnn);
  CHECK(ferry::test::read_file(rows_file(dir, "enrollments")) == kEnrollmentsWithoutAnn);
  CHECK(ferry::test::read_file(rows_file(dir, "classes")) == kClassesWithoutAnn);
}

TEST_CASE("an erase batch removes exactly the subject's rows from every rows file of its agent") {
  ferry::test::TempDir dir;
  {
    auto store = open_store(dir);
    store_school(store);
    REQUIRE(store.store(erase_header(4), kEraseAnn));
    check_ann_erased(dir);
    CHECK(ferry::test::read_file(dir / "school-042/erase.jsonl") == kEraseAnn);
    // Another agent's rows are its own: an erase never crosses agents.
    CHECK(ferry::test::read_file(dir / "school-043/sis/users.jsonl") == kUsers);
    CHECK(store.settled(kAgent, kSpool).value() == 4);
    CHECK_FALSE(any_purge_file(dir));
  }
  CHECK(count_in_db(dir,
                    "SELECT count(*) FROM erasures WHERE agent_id = 'school-042' AND seq = 4 AND "
                    "domain = 'person' AND token IN ('p1.Ann', 'h1.AnnMail')") == 2);
  CHECK(count_in_db(dir,
                    "SELECT count(*) FROM batches WHERE seq = 4 AND kind = 'erase' AND "
                    "reason = '4 rows removed from 3 files'") == 1);

  // The committed sizes follow the purge: reopening truncates nothing, appending goes on.
  auto store = open_store(dir);
  check_ann_erased(dir);
  REQUIRE(store.store(header_for(5, "sis", "users"), "{\"sourcedId\":\"p1.Dee\"}\n"));
  CHECK(ferry::test::read_file(rows_file(dir, "users")) ==
        kUsersWithoutAnn + "{\"sourcedId\":\"p1.Dee\"}\n");
}

TEST_CASE("erasing the same subject twice is harmless") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  store_school(store);
  REQUIRE(store.store(erase_header(4), kEraseAnn));
  REQUIRE(store.store(erase_header(5), kEraseAnn));
  check_ann_erased(dir);
  CHECK(ferry::test::read_file(dir / "school-042/erase.jsonl") == kEraseAnn + kEraseAnn);
  CHECK(store.settled(kAgent, kSpool).value() == 5);
  CHECK(count_in_db(dir, "SELECT count(*) FROM erasures WHERE seq = 4") == 2);
  CHECK(count_in_db(dir, "SELECT count(*) FROM erasures") == 2);
  CHECK(count_in_db(dir,
                    "SELECT count(*) FROM batches WHERE seq = 5 AND "
                    "reason = '0 rows removed from 0 files'") == 1);
}

TEST_CASE("an erase batch before any rows, or without lines, stores only its lines") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store.store(erase_header(1), kEraseAnn));
  REQUIRE(store.store(erase_header(2), ""));
  CHECK(ferry::test::read_file(dir / "school-042/erase.jsonl") == kEraseAnn);
  CHECK(store.settled(kAgent, kSpool).value() == 2);
  REQUIRE(store.store(header_for(3, "sis", "users"), kUsers));
  CHECK(ferry::test::read_file(rows_file(dir, "users")) == kUsersWithoutAnn);
}

TEST_CASE("later rows carrying an erased token are left out, also after a restart") {
  ferry::test::TempDir dir;
  const std::string again =
      "{\"_op\":\"upsert\",\"sourcedId\":\"p1.Ann\"}\nnot json p1.Ann\n"
      "{\"_op\":\"upsert\",\"sourcedId\":\"p1.Dee\"}";
  const std::string kept = "not json p1.Ann\n{\"_op\":\"upsert\",\"sourcedId\":\"p1.Dee\"}\n";
  {
    auto store = open_store(dir);
    REQUIRE(store.store(erase_header(1), kEraseAnn));
    REQUIRE(store.store(header_for(2, "sis", "users"), again));
    CHECK(ferry::test::read_file(rows_file(dir, "users")) == kept);
    REQUIRE(store.store(header_for(3, "sis", "enrollments"), kEnrollments));
    CHECK(ferry::test::read_file(rows_file(dir, "enrollments")) == kEnrollmentsWithoutAnn);
    // A batch whose every row is left out still settles its seq.
    REQUIRE(store.store(header_for(4, "sis", "classes"), "{\"t\":\"p1.Ann,p1.Bob\"}\n"));
    CHECK(ferry::test::read_file(rows_file(dir, "classes")).empty());
    CHECK(store.settled(kAgent, kSpool).value() == 4);
  }
  CHECK(count_in_db(dir,
                    "SELECT count(*) FROM batches WHERE seq = 2 AND "
                    "reason = '1 row of erased subjects left out'") == 1);
  auto store = open_store(dir);
  REQUIRE(store.store(header_for(5, "sis", "users"), again));
  CHECK(ferry::test::read_file(rows_file(dir, "users")) == kept + kept);
  // Another agent of the same tenant has erased nothing.
  auto other_agent = header_for(1, "sis", "users");
  other_agent.agent_id = "school-043";
  REQUIRE(store.store(other_agent, again));
  CHECK(ferry::test::read_file(dir / "school-043/sis/users.jsonl") == again + "\n");
}

TEST_CASE("an erase batch with a line that is not domain and token is refused") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  const std::string bad = "{\"domain\":\"person\",\"token\":\"\"}\n";
  auto checked = TenantStore::check_payload(erase_header(1), bad);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kInvalidArgument);
  CHECK(TenantStore::check_payload(erase_header(1), kEraseAnn));
  // Rows are checked too: one JSON object a line, as many lines as the header's rows.
  CHECK(TenantStore::check_payload(header_for(1), "{\"id\":1}\n"));
  CHECK_FALSE(TenantStore::check_payload(header_for(1), "not json\n"));
  CHECK_FALSE(TenantStore::check_payload(header_for(1), "{\"id\":1}\n{\"id\":2}\n"));
  CHECK_FALSE(store.store(erase_header(1), bad));
  CHECK(store.settled(kAgent, kSpool).value() == 0);
}

TEST_CASE("a purge keeps only committed rows: an uncommitted tail goes with it") {
  ferry::test::TempDir dir;
  auto store = open_store(dir);
  store_school(store);
  append_raw(rows_file(dir, "users"), "{\"sourcedId\":\"p1.Eve\"}\n");  // never committed
  REQUIRE(store.store(erase_header(4), kEraseAnn));
  CHECK(ferry::test::read_file(rows_file(dir, "users")) == kUsersWithoutAnn);
}

TEST_CASE("a purge the crash interrupted is finished or dropped when the store opens") {
  ferry::test::TempDir dir;
  const auto users = rows_file(dir, "users");
  const auto users_purge = std::filesystem::path(users.string() + ".purge");
  SECTION("committed, not renamed: open() renames the .purge over the file") {
    {
      auto store = open_store(dir);
      store_school(store);
      REQUIRE(store.store(erase_header(4), kEraseAnn));
    }
    // Put the state back to between the commit and the rename.
    std::filesystem::rename(users, users_purge);
    append_raw(users, kUsers);
    auto store = open_store(dir);
    CHECK_FALSE(std::filesystem::exists(users_purge));
    check_ann_erased(dir);
    CHECK(store.settled(kAgent, kSpool).value() == 4);
    REQUIRE(store.store(header_for(5, "sis", "users"), "{\"id\":5}\n"));
    CHECK(ferry::test::read_file(users) == kUsersWithoutAnn + "{\"id\":5}\n");
  }
  SECTION("written, never committed: open() deletes the .purge and the file stays whole") {
    {
      auto store = open_store(dir);
      store_school(store);
    }
    // The purge and the erase line were written; the transaction never happened.
    append_raw(users_purge, kUsersWithoutAnn);
    append_raw(dir / "school-042/erase.jsonl", kEraseAnn);
    auto store = open_store(dir);
    CHECK_FALSE(std::filesystem::exists(users_purge));
    CHECK(ferry::test::read_file(users) == kUsers);
    CHECK(store.settled(kAgent, kSpool).value() == 3);
    // The agent sends the erase again; it applies as if the crash never was (the erase line
    // written before the crash is a tail of a file tenant.db does not know yet: dropped now).
    REQUIRE(store.store(erase_header(4), kEraseAnn));
    check_ann_erased(dir);
    CHECK(ferry::test::read_file(dir / "school-042/erase.jsonl") == kEraseAnn);
  }
  SECTION("a stale .purge that removed everything, never committed, is deleted too") {
    {
      auto store = open_store(dir);
      store_school(store);
    }
    append_raw(users_purge, "");
    auto store = open_store(dir);
    CHECK_FALSE(std::filesystem::exists(users_purge));
    CHECK(ferry::test::read_file(users) == kUsers);
  }
}

}  // namespace
}  // namespace ferry::tenant
