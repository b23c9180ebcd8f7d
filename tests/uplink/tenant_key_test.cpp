// The tenant rotates its own key (docs/key-rotation.md, "The tenant's key"): batch headers name the
// key they are sealed to, the agent seals to uplink.tenant_next_public_key once the tenant's
// welcome asks for it (and keeps that choice in its spool), and a tenant serving both private
// keys takes everything, whichever key sealed it. First the spool on its own, then the real
// `ferry` against the real `ferry-tenant`.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/spool/spool.hpp"
#include "common/crypto/base64.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "common/sqlite/database.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

// The tenant_key_id of each batch in a spool, in seq order, read from the frames' headers (no
// key needed: the header is not encrypted). Call it while no ferry process runs.
std::vector<std::string> spooled_key_ids(const std::filesystem::path& spool_db) {
  auto db = sqlite::Database::open(spool_db, sqlite::Database::Mode::kReadOnly);
  REQUIRE(db);
  auto select = db->prepare("SELECT frame FROM batches ORDER BY seq");
  REQUIRE(select);
  std::vector<std::string> ids;
  for (;;) {
    auto row = select->step();
    REQUIRE(row);
    if (!*row) break;
    const auto blob = select->column_blob(0);
    auto view = frame::split(crypto::ByteView(blob.data(), blob.size()));
    REQUIRE(view);
    auto header = frame::Header::from_json(view->header_json);
    REQUIRE(header);
    ids.push_back(header->tenant_key_id);
  }
  return ids;
}

std::string key_id_of_base64(std::string_view public_key) {
  auto bytes = crypto::base64_decode(public_key);
  REQUIRE(bytes);
  return frame::tenant_key_id(*bytes).value();
}

// One rows batch of `source`, committed to `spool`; returns the header it was sealed with.
frame::Header commit_one(spool::Spool& spool) {
  spool::Commit commit;
  commit.source = "sis";
  spool::NewBatch& batch = commit.batches.emplace_back();
  batch.stream = "users";
  batch.rows = 1;
  batch.key_version = 1;
  batch.compressed = frame::zstd_compress("{\"_op\":\"upsert\",\"id\":\"p1.a\"}\n").value();
  auto seqs = spool.commit(commit);
  REQUIRE(seqs);
  const auto pending = spool.pending(seqs->front() - 1, 1).value();
  REQUIRE(pending.size() == 1);
  auto view = frame::split(pending.front().frame);
  REQUIRE(view);
  return frame::Header::from_json(view->header_json).value();
}

TEST_CASE("the spool seals to the tenant's next key once asked and keeps that choice when reopened",
          "[uplink][tenant_key]") {
  TempDir dir;
  const auto current = crypto::x25519_generate_keypair().value();
  const auto next = crypto::x25519_generate_keypair().value();
  const std::string current_id = frame::tenant_key_id(current.public_key).value();
  const std::string next_id = frame::tenant_key_id(next.public_key).value();
  spool::Options options;
  options.path = dir / "spool.db";
  options.agent_id = "school-042";
  options.tenant_id = "district-7";
  options.tenant_public_key = current.public_key;
  options.tenant_next_public_key = next.public_key;
  spool::OpenReport report;
  {
    auto spool = spool::Spool::open(options, report).value();
    CHECK(spool->sealing_key_id().value() == current_id);
    CHECK(commit_one(*spool).tenant_key_id == current_id);
    CHECK(spool->use_tenant_key(current_id).value() == spool::KeyChoice::kAlready);
    CHECK(spool->use_tenant_key("0123456789abcdef").value() == spool::KeyChoice::kUnknown);
    CHECK(spool->sealing_key_id().value() == current_id);
    CHECK(spool->use_tenant_key(next_id).value() == spool::KeyChoice::kSwitched);
    const frame::Header sealed = commit_one(*spool);
    CHECK(sealed.tenant_key_id == next_id);
    // The batch spooled before keeps its key; each opens with its own private key only.
    const auto pending = spool->pending(0, 10).value();
    REQUIRE(pending.size() == 2);
    CHECK(frame::open(pending[0].frame, current.private_key));
    CHECK_FALSE(frame::open(pending[0].frame, next.private_key));
    CHECK(frame::open(pending[1].frame, next.private_key));
  }
  {
    // Restarted (offline): the choice is the spool's.
    auto spool = spool::Spool::open(options, report).value();
    CHECK(spool->sealing_key_id().value() == next_id);
    CHECK(commit_one(*spool).tenant_key_id == next_id);
  }
  {
    // The admin made the next key the current one and removed it as the next: still that key.
    spool::Options promoted = options;
    promoted.tenant_public_key = next.public_key;
    promoted.tenant_next_public_key.clear();
    auto spool = spool::Spool::open(promoted, report).value();
    CHECK(spool->sealing_key_id().value() == next_id);
  }
  {
    // The next key removed without being promoted (the rotation called off): the current one.
    spool::Options called_off = options;
    called_off.tenant_next_public_key.clear();
    auto spool = spool::Spool::open(called_off, report).value();
    CHECK(spool->sealing_key_id().value() == current_id);
    CHECK(commit_one(*spool).tenant_key_id == current_id);
  }
}

TEST_CASE("a tenant rotating its key gets every spooled batch whichever key sealed it",
          "[uplink][tenant_key]") {
  UplinkSite site(40);
  const auto next_key = site.dir() / "next.key";
  const auto keygen = run_process({FERRY_TENANT, "keygen", "--out", next_key.string()});
  INFO(keygen.err);
  REQUIRE(keygen.exit_code == 0);
  const std::string next_public = keygen.out.substr(0, keygen.out.find('\n'));
  const std::string current_id = key_id_of_base64(site.tenant_public_key());
  const std::string next_id = key_id_of_base64(next_public);
  CHECK_THAT(keygen.err, Contains("key id " + next_id));

  TcpProxy front;
  site.configure({.port = front.port(),
                  .uplink_extra = "  tenant_next_public_key: \"" + next_public + "\"\n"});
  // Spooled before the tenant asked for anything: sealed to the current key.
  REQUIRE(site.ferry({"sync", "--no-upload"}).exit_code == 0);
  const auto before = spooled_key_ids(site.spool_db());
  REQUIRE_FALSE(before.empty());
  CHECK(std::count(before.begin(), before.end(), current_id) ==
        static_cast<std::ptrdiff_t>(before.size()));

  // A tenant that announces its next key and no longer holds the current one: the agent switches,
  // and what it spooled before waits (nacked with retry, naming the key), nothing is lost.
  {
    TenantProcess tenant(site);
    tenant.use_private_keys({next_key});
    tenant.start();
    front.forward_to(tenant.port());
    auto run = site.start_run();
    const std::string nacked = "sealed to tenant key " + current_id;
    REQUIRE(wait_until([&] { return site.logged(nacked); }, 60s));
    CHECK(site.logged("the tenant asks for batches sealed to its key " + next_id));
    CHECK_THAT(tenant.log(), Contains("retry=true"));
    CHECK_THAT(tenant.log(), Contains(nacked));
    site.stop_run(run);
    tenant.kill();
  }
  CHECK(spooled_key_ids(site.spool_db()) == before);

  // A change made while the tenant is away: the agent, started again, seals to the next key.
  REQUIRE(
      site.generate({"--users", "40", "--change-percent", "10", "--base-seed", "1", "--seed", "5"})
          .exit_code == 0);
  REQUIRE(site.ferry({"sync", "--no-upload"}).exit_code == 0);
  const auto after = spooled_key_ids(site.spool_db());
  REQUIRE(after.size() > before.size());
  CHECK(std::equal(before.begin(), before.end(), after.begin()));
  CHECK(std::all_of(after.begin() + static_cast<std::ptrdiff_t>(before.size()), after.end(),
                    [&](const std::string& id) { return id == next_id; }));

  // A tenant holding both private keys takes the whole spool, batches of both keys.
  TenantProcess both(site);
  both.use_private_keys({next_key, site.tenant_key()});
  both.start();
  front.forward_to(both.port());
  const auto synced = site.sync();
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  CHECK(site.spool_batches() == std::optional<std::uint64_t>(0));
  CHECK(site.rejected_batches() == 0);
  CHECK_THAT(both.log(), Contains("key_id=" + current_id));
  CHECK_THAT(both.log(), Contains("key_id=" + next_id));
  const auto expected = site.preview();
  for (const char* stream : kStreams) {
    INFO(stream);
    CHECK(materialized(site.stored(stream)) == sorted_lines(expected.at(stream)));
  }
}

TEST_CASE(
    "an agent asked for a tenant key it does not know says which key to set and keeps its own",
    "[uplink][tenant_key]") {
  UplinkSite site(20);
  const auto next_key = site.dir() / "next.key";
  REQUIRE(run_process({FERRY_TENANT, "keygen", "--out", next_key.string()}).exit_code == 0);
  TenantProcess tenant(site);
  tenant.use_private_keys({next_key, site.tenant_key()});
  tenant.start();
  site.configure({.port = tenant.port()});
  const auto synced = site.sync();
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  const std::string log = read_file(site.log_file());
  CHECK(count_of(log, "set uplink.tenant_next_public_key to the tenant's new public key") == 1);
  const std::string current_id = key_id_of_base64(site.tenant_public_key());
  CHECK_THAT(tenant.log(), Contains("key_id=" + current_id));
  CHECK(site.stored_lines() > 0);
}

}  // namespace
}  // namespace ferry::test
