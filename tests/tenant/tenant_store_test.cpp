#include "tests/tenant/tenant_store.hpp"

#include <fstream>

#include <catch2/catch.hpp>
#include <sys/stat.h>

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

}  // namespace
}  // namespace ferry::tenant
