#include "agent/pipeline/source_run.hpp"

#include <numeric>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "agent/pipeline/key_rotation.hpp"
#include "agent/pipeline/resume_state.hpp"
#include "common/crypto/sha256.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "common/sqlite/database.hpp"
#include "tests/agent/support/test_spool.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::pipeline {
namespace {

using connectors::RowOp;
using connectors::StreamMode;
using connectors::Value;

// A test double: a snapshot source whose rows the test sets between runs. Each read returns a
// new state, as a changed export would.
class ScriptedSource final : public connectors::Source {
 public:
  struct Row {
    std::string id;
    std::string name;
    RowOp op = RowOp::kUpsert;
  };
  StreamMode mode = StreamMode::kSnapshot;
  std::vector<Row> rows;
  std::vector<connectors::BadRow> bad_rows;
  int reads = 0;

  Result<std::vector<connectors::StreamInfo>> streams() override { return {{info()}}; }
  Result<void> check() override { return {}; }
  Result<std::string> read(const connectors::ResumeState&, connectors::RowSink& sink,
                           std::stop_token) override {
    ++reads;
    auto began = sink.begin_stream(info(), mode);
    if (!began) return tl::unexpected(began.error());
    if (!*began) return fmt::format("read-{}", reads);
    for (const auto& bad : bad_rows) sink.bad_row(bad);
    for (const Row& row : rows) {
      const Value values[] = {Value::string(row.id), Value::string(row.name), Value::string("x")};
      if (auto sent = sink.row(values, row.op); !sent) return tl::unexpected(sent.error());
    }
    if (auto ended = sink.end_stream(""); !ended) return tl::unexpected(ended.error());
    return fmt::format("read-{}", reads);
  }

 private:
  static connectors::StreamInfo info() {
    return {.name = "users", .columns = {"sourcedId", "givenName", "password"}, .key = "sourcedId"};
  }
};

// The source-wide part of what the spool keeps for "sis" (resume_state.hpp).
std::string source_state_of(spool::Spool& spool) {
  return decode_resume_state(spool.source_state("sis").value()).source;
}

crypto::Bytes test_secret() {
  crypto::Bytes secret(32);
  std::iota(secret.begin(), secret.end(), 0);
  return secret;
}

struct Fixture {
  test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  std::unique_ptr<spool::Spool> spool;
  policy::TokenFactory tokens{test_secret(), 1};
  config::SourceSettings settings;
  RunOptions options;
  ScriptedSource source;

  Fixture() {
    spool = test::open_test_spool(dir / "spool.db", tenant.public_key);
    settings.name = "sis";
    settings.type = "test";
    config::StreamSettings users;
    users.name = "users";
    users.key = "sourcedId";
    users.fields = {{.name = "sourcedId",
                     .transform = config::Transform::kPseudonymize,
                     .domain = "user",
                     .normalize = {},
                     .list = false,
                     .generalize = {},
                     .at = {}},
                    {.name = "givenName",
                     .transform = config::Transform::kKeep,
                     .domain = {},
                     .normalize = {},
                     .list = false,
                     .generalize = {},
                     .at = {}}};
    settings.streams = {users};
    options.batch.max_rows = 1000;
  }

  RunReport run() {
    auto report = run_source(settings, source, *spool, tokens, options, std::stop_token());
    REQUIRE(report);
    return *report;
  }

  // Every row line of every pending batch, decrypted with the tenant's key; acks them.
  std::vector<std::string> drain() {
    std::vector<std::string> lines;
    const auto pending = spool->pending(0, 1000).value();  // kept: value() of a temporary dangles
    for (const auto& batch : pending) {
      auto opened = frame::open(batch.frame, tenant.private_key);
      REQUIRE(opened);
      CHECK(opened->header.seq == batch.seq);
      std::size_t start = 0;
      while (start < opened->plaintext.size()) {
        const auto end = opened->plaintext.find('\n', start);
        lines.push_back(opened->plaintext.substr(start, end - start));
        start = end + 1;
      }
      CHECK(spool->ack(batch.seq));
    }
    return lines;
  }

  std::string token(std::string_view id) {
    std::string out;
    REQUIRE(tokens.pseudonymizer("user").value()->pseudonymize(id, out));
    return out;
  }
};

TEST_CASE("the first run spools every row once, pseudonymized and without unlisted columns") {
  Fixture f;
  f.source.rows = {{"st-1", "Ana"}, {"st-2", "Ben"}, {"st-3", "Cy"}};
  const auto report = f.run();
  REQUIRE(report.streams.size() == 1);
  CHECK(report.streams[0].upserts == 3);
  CHECK(report.streams[0].dropped_columns == std::vector<std::string>{"password"});
  const auto lines = f.drain();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        R"({"_op":"upsert","sourcedId":")" + f.token("st-1") + R"(","givenName":"Ana"})");
  for (const auto& line : lines) CHECK(line.find("st-") == std::string::npos);
  CHECK(source_state_of(*f.spool) == "read-1");
}

TEST_CASE("a second run of the same data spools nothing") {
  Fixture f;
  f.source.rows = {{"st-1", "Ana"}, {"st-2", "Ben"}};
  f.run();
  f.drain();
  const auto report = f.run();
  CHECK(report.batches == 0);
  CHECK(report.streams[0].unchanged == 2);
  CHECK(f.drain().empty());
  CHECK(source_state_of(*f.spool) == "read-2");
}

TEST_CASE("a changed, a new and a removed row give one upsert, one upsert and one delete") {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.source.rows.push_back({fmt::format("st-{}", i), "same"});
  f.run();
  f.drain();
  f.source.rows[3].name = "changed";
  f.source.rows.erase(f.source.rows.begin() + 7);
  f.source.rows.push_back({"st-new", "new"});
  const auto report = f.run();
  CHECK(report.streams[0].upserts == 2);
  CHECK(report.streams[0].deletes == 1);
  CHECK(report.streams[0].unchanged == 8);
  const auto lines = f.drain();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        R"({"_op":"upsert","sourcedId":")" + f.token("st-3") + R"(","givenName":"changed"})");
  CHECK(lines[1] ==
        R"({"_op":"upsert","sourcedId":")" + f.token("st-new") + R"(","givenName":"new"})");
  CHECK(lines[2] == R"({"_op":"delete","sourcedId":")" + f.token("st-7") + R"("})");
  // The delete is remembered: a third run sends nothing.
  CHECK(f.run().batches == 0);
}

TEST_CASE("the mass-delete guard holds deletes until they are allowed") {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.source.rows.push_back({fmt::format("st-{}", i), "n"});
  f.run();
  f.drain();
  f.source.rows.resize(5);  // a truncated export
  const auto held = f.run();
  CHECK(held.held);
  CHECK(held.streams[0].held_deletes == 5);
  CHECK(held.streams[0].deletes == 0);
  CHECK(f.drain().empty());
  CHECK(source_state_of(*f.spool) == "read-1");  // not advanced

  f.options.allow_mass_delete = true;
  const auto allowed = f.run();
  CHECK_FALSE(allowed.held);
  CHECK(allowed.streams[0].deletes == 5);
  CHECK(f.drain().size() == 5);
  CHECK(source_state_of(*f.spool) == "read-3");
}

TEST_CASE("an export that is suddenly empty does not wipe the tenant") {
  Fixture f;
  for (int i = 0; i < 4; ++i) f.source.rows.push_back({fmt::format("st-{}", i), "n"});
  f.run();
  f.drain();
  f.source.rows.clear();
  CHECK(f.run().held);
  CHECK(f.drain().empty());
}

TEST_CASE("change streams send explicit deletes and imply nothing by absence") {
  Fixture f;
  f.source.mode = StreamMode::kChanges;
  f.source.rows = {{"st-1", "Ana"}, {"st-2", "Ben"}};
  f.run();
  f.drain();
  f.source.rows = {{"st-2", "", RowOp::kDelete}};
  const auto report = f.run();
  CHECK(report.streams[0].deletes == 1);
  CHECK_FALSE(report.held);
  const auto lines = f.drain();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with(R"({"_op":"delete","sourcedId":")" + f.token("st-2")));
}

TEST_CASE("batches are cut at max_rows with gap-free seqs") {
  Fixture f;
  f.options.batch.max_rows = 3;
  for (int i = 0; i < 10; ++i) f.source.rows.push_back({fmt::format("st-{}", i), "n"});
  const auto report = f.run();
  CHECK(report.batches == 4);
  const auto pending = f.spool->pending(0, 100).value();
  REQUIRE(pending.size() == 4);
  for (std::size_t i = 0; i < pending.size(); ++i) CHECK(pending[i].seq == i + 1);
  CHECK(f.drain().size() == 10);
}

TEST_CASE("bad rows are counted and reported with their location, and the rest goes through") {
  Fixture f;
  f.source.rows = {{"st-1", "Ana"}};
  f.source.bad_rows = {{"users", "users.csv:3", "expected 3 fields, found 2"}};
  const auto report = f.run();
  CHECK(report.streams[0].bad_rows == 1);
  REQUIRE(report.streams[0].bad_row_examples.size() == 1);
  CHECK(report.streams[0].bad_row_examples[0].location == "users.csv:3");
  CHECK(f.drain().size() == 1);
}

TEST_CASE("bad values are counted per stream and field, sent as null, and the rows go through") {
  Fixture f;
  auto& given = f.settings.streams[0].fields[1];
  given.transform = config::Transform::kGeneralize;
  given.generalize.kind = config::Generalize::Kind::kYear;
  given.generalize.date_format = config::parse_date_format("%m/%d/%y").value();
  f.source.rows = {{"st-1", "4/17/09"}, {"st-2", "2009-04-17"}, {"st-3", "17/4/09"}};
  const auto report = f.run();
  REQUIRE(report.streams.size() == 1);
  CHECK(report.streams[0].bad_values == 1);
  REQUIRE(report.streams[0].bad_value_fields.size() == 1);
  CHECK(report.streams[0].bad_value_fields[0].field == "givenName");
  CHECK(report.streams[0].bad_value_fields[0].unparsable == 1);
  const auto lines = f.drain();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].ends_with(R"("givenName":"2009"})"));
  CHECK(lines[1].ends_with(R"("givenName":"2009"})"));
  CHECK(lines[2].ends_with(R"("givenName":null})"));
}

TEST_CASE("a snapshot stream with bad rows sends no deletes until it reads cleanly") {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.source.rows.push_back({fmt::format("st-{}", i), "n"});
  f.run();
  f.drain();
  f.source.rows.erase(f.source.rows.begin());  // st-0 now unreadable, as far as Ferry knows
  f.source.bad_rows = {{"users", "users.csv:2", "a quote inside an unquoted field"}};
  const auto report = f.run();
  CHECK(report.streams[0].postponed_deletes == 1);
  CHECK(report.streams[0].deletes == 0);
  CHECK(f.drain().empty());
  f.source.bad_rows.clear();
  CHECK(f.run().streams[0].deletes == 1);
  CHECK(f.drain().size() == 1);
}

TEST_CASE("a stream without a field policy is skipped entirely") {
  Fixture f;
  f.settings.streams.clear();
  f.source.rows = {{"st-1", "Ana"}};
  const auto report = f.run();
  CHECK(report.streams[0].skipped);
  CHECK(f.drain().empty());
}

}  // namespace
}  // namespace ferry::pipeline

namespace ferry::pipeline {
namespace {

TEST_CASE("digests from before keyed digests are recognised once and replaced") {
  Fixture f;
  f.source.rows = {{"st-1", "Ana"}, {"st-2", "Ben"}};
  f.run();
  f.drain();
  // As a spool made by an earlier version holds them: SHA-256 of the line as sent, and the
  // source marked as the migration marks it.
  spool::Commit commit;
  commit.source = "sis";
  auto sha256 = crypto::Sha256::create().value();
  for (const auto& row : f.source.rows) {
    const std::string key = "\"" + f.token(row.id) + "\"";
    const std::string line =
        R"({"_op":"upsert","sourcedId":)" + key + R"(,"givenName":")" + row.name + "\"}";
    const auto hashed = sha256.digest(crypto::as_bytes(line)).value();
    std::array<std::uint8_t, 16> digest{};
    std::copy_n(hashed.begin(), digest.size(), digest.begin());
    commit.digests.push_back({"users", key, digest});
  }
  REQUIRE(f.spool->commit(commit));
  REQUIRE(f.spool->merge_digests("sis"));
  {
    auto db = sqlite::Database::open(f.dir / "spool.db", sqlite::Database::Mode::kReadWrite).value();
    REQUIRE(db.exec("INSERT INTO key_state(source, legacy_digests) VALUES ('sis', 1)"));
  }
  REQUIRE(f.spool->source_key_state("sis").value().legacy_digests);
  const auto converted = f.run();
  CHECK(converted.batches == 0);
  CHECK(converted.streams[0].unchanged == 2);
  CHECK_FALSE(f.spool->source_key_state("sis").value().legacy_digests);
  // Now keyed: recognised without the old digest.
  const auto again = f.run();
  CHECK(again.batches == 0);
  CHECK(again.streams[0].unchanged == 2);
}

// Two rows (Ana st-1, Ben st-2) sent under key version 1 of `keyring`, then a rotation to version 2
// caught up with: what the catch-up did. `f.settings` is the configuration.
KeyCatchUp rotate_after_first_run(Fixture& f, keys::Keyring& keyring,
                                  std::vector<ScriptedSource::Row> rows = {{"st-1", "Ana"},
                                                                           {"st-2", "Ben"}}) {
  auto v1 = policy::TokenFactory::for_keyring(keyring);
  f.options.keyring = &keyring;
  config::Settings settings;
  settings.sources = {f.settings};
  REQUIRE(catch_up_key_rotation(*f.spool, keyring, settings, {}));  // adopts version 1
  f.source.rows = std::move(rows);
  REQUIRE(run_source(f.settings, f.source, *f.spool, v1, f.options, std::stop_token()));
  f.drain();
  REQUIRE(keyring.rotate(std::chrono::system_clock::now()));
  auto caught_up = catch_up_key_rotation(*f.spool, keyring, settings, {});
  REQUIRE(caught_up);
  return *caught_up;
}

// A run of the same rows under `tokens` sends nothing: every row recognised, none deleted.
void check_nothing_sent(Fixture& f, policy::TokenFactory& tokens, std::uint64_t rows = 2) {
  auto report = run_source(f.settings, f.source, *f.spool, tokens, f.options, std::stop_token());
  REQUIRE(report);
  CHECK(report->streams[0].unchanged == rows);
  CHECK(report->streams[0].deletes == 0);
  CHECK(report->batches == 0);
}

TEST_CASE("a key rotation spools maps for the stored keys and sends no row again") {
  Fixture f;
  auto keyring = keys::Keyring::create(f.dir / "keyring.json", std::chrono::system_clock::now());
  REQUIRE(keyring);
  auto v1 = policy::TokenFactory::for_keyring(*keyring);
  const auto caught_up = rotate_after_first_run(f, *keyring);
  CHECK(caught_up.rotated);
  CHECK(caught_up.maps == 2);
  CHECK(caught_up.batches == 1);
  const auto pending = f.spool->pending(0, 10).value();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].kind == "rekey");
  auto opened = frame::open(pending[0].frame, f.tenant.private_key);
  REQUIRE(opened);
  CHECK(opened->header.key_version == 2);
  std::string old_token;
  REQUIRE(v1.pseudonymizer("user").value()->pseudonymize("st-1", old_token));
  CHECK(opened->plaintext.find(R"("old":")" + old_token + "\"") != std::string::npos);
  CHECK(opened->plaintext.find("\"new\":\"p2.") != std::string::npos);
  f.drain();

  // Under version 2 the rows are recognised: nothing is sent, no delete.
  auto v2 = policy::TokenFactory::for_keyring(*keyring);
  check_nothing_sent(f, v2);
  Result<RunReport> report;
  // A change is sent under the new key.
  f.source.rows[0].name = "Anna";
  report = run_source(f.settings, f.source, *f.spool, v2, f.options, std::stop_token());
  REQUIRE(report);
  CHECK(report->streams[0].upserts == 1);
  const auto lines = f.drain();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("\"sourcedId\":\"p2.") != std::string::npos);
  // Caught up already: nothing more to do.
  config::Settings settings;
  settings.sources = {f.settings};
  CHECK_FALSE(catch_up_key_rotation(*f.spool, *keyring, settings, {}).value().rotated);
}

// users keyed by (givenName, sourcedId): a kept column and a pseudonymized one.
// Two rows are few: a vanished one is not held by the mass-delete guard.
void use_composite_key(Fixture& f) {
  f.settings.streams[0].key = "givenName";
  f.settings.streams[0].more_keys = {"sourcedId"};
  f.options.allow_mass_delete = true;
}

TEST_CASE("a row that vanished from a composite-key stream is deleted by every key column") {
  Fixture f;
  use_composite_key(f);
  f.source.rows = {{"st-1", "Ana"}, {"st-7", "Bo"}};
  CHECK(f.run().streams[0].upserts == 2);
  f.drain();
  f.source.rows.pop_back();
  const auto report = f.run();
  CHECK(report.streams[0].deletes == 1);
  CHECK(report.streams[0].unchanged == 1);
  const auto lines = f.drain();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        R"({"_op":"delete","givenName":"Bo","sourcedId":")" + f.token("st-7") + R"("})");
  CHECK(f.run().batches == 0);
}

TEST_CASE("after a key change each stored key is deleted in the form it was sent") {
  Fixture f;
  use_composite_key(f);
  f.source.rows = {{"st-1", "Ana"}};
  f.run();
  f.drain();
  // Back to a single key: the row is new under it, and its composite key goes as it was sent.
  f.settings.streams[0].key = "sourcedId";
  f.settings.streams[0].more_keys.clear();
  const auto report = f.run();
  CHECK(report.streams[0].upserts == 1);
  CHECK(report.streams[0].deletes == 1);
  const auto lines = f.drain();
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] ==
        R"({"_op":"delete","givenName":"Ana","sourcedId":")" + f.token("st-1") + R"("})");
}

TEST_CASE("an erasure removes the composite keys that carry the erased token") {
  Fixture f;
  use_composite_key(f);
  f.source.rows = {{"st-1", "Ana"}, {"st-2", "Ben"}};
  f.run();
  f.drain();
  spool::Erasure erasure;
  erasure.keys = {"\"" + f.token("st-2") + "\""};
  erasure.batch.kind = "erase";
  erasure.batch.rows = 1;
  erasure.batch.compressed = frame::zstd_compress("{}\n", 1).value();
  const auto erased = f.spool->erase(erasure);
  REQUIRE(erased);
  CHECK(erased->digests_removed == 1);
  // Ben's row is new again (no suppression list here); Ana's is untouched.
  const auto report = f.run();
  CHECK(report.streams[0].upserts == 1);
  CHECK(report.streams[0].unchanged == 1);
  CHECK(report.streams[0].deletes == 0);
}

TEST_CASE("a key rotation maps the tokens inside composite keys and sends no row again") {
  Fixture f;
  use_composite_key(f);
  auto keyring = keys::Keyring::create(f.dir / "keyring.json", std::chrono::system_clock::now());
  REQUIRE(keyring);
  const auto caught_up = rotate_after_first_run(f, *keyring);
  CHECK(caught_up.maps == 2);
  CHECK(caught_up.keys_dropped == 0);
  CHECK(caught_up.sources_reset.empty());
  f.drain();

  auto v2 = policy::TokenFactory::for_keyring(*keyring);
  check_nothing_sent(f, v2);
  Result<RunReport> report;
  // A row that vanishes now is deleted under the new token.
  f.source.rows.pop_back();
  report = run_source(f.settings, f.source, *f.spool, v2, f.options, std::stop_token());
  REQUIRE(report);
  const auto lines = f.drain();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with(R"({"_op":"delete","givenName":"Ben","sourcedId":"p2.)"));
}

TEST_CASE("a rotation maps a composite key stream whose smallest key has no token") {
  Fixture f;
  use_composite_key(f);
  auto keyring = keys::Keyring::create(f.dir / "keyring.json", std::chrono::system_clock::now());
  REQUIRE(keyring);
  // ("Aa", "") sorts first and its pseudonym part is empty: the policy still says the key holds
  // pseudonyms.
  const auto caught_up =
      rotate_after_first_run(f, *keyring, {{"", "Aa"}, {"st-1", "Ana"}, {"st-2", "Ben"}});
  CHECK(caught_up.maps == 2);
  CHECK(caught_up.keys_dropped == 0);
  f.drain();
  auto v2 = policy::TokenFactory::for_keyring(*keyring);
  check_nothing_sent(f, v2, 3);
}

}  // namespace
}  // namespace ferry::pipeline
