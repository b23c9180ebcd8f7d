// Per-stream results: a stream that fails keeps its state and sends no deletes, while the other
// streams of the source commit; the source-wide state waits for a run in which every stream got
// through.
#include <catch2/catch.hpp>

#include "agent/pipeline/resume_state.hpp"
#include "agent/pipeline/source_run.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "tests/agent/support/scripted_source.hpp"
#include "tests/agent/support/test_spool.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::pipeline {
namespace {

struct Site {
  test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  std::unique_ptr<spool::Spool> spool;
  policy::TokenFactory tokens{crypto::Bytes(32, 7), 1};
  config::SourceSettings settings;
  std::shared_ptr<test::Script> script = std::make_shared<test::Script>();
  test::ScriptedSource source{script};

  Site() {
    spool = test::open_test_spool(dir / "spool.db", tenant.public_key);
    settings.name = "sis";
    settings.type = "scripted";
    settings.mass_delete_percent = 100;
    settings.streams = {test::scripted_stream("users"), test::scripted_stream("classes")};
  }

  RunReport run() {
    RunOptions options;
    options.batch.max_rows = 100;
    auto report = run_source(settings, source, *spool, tokens, options, std::stop_token());
    REQUIRE(report);
    return *report;
  }

  connectors::ResumeState state() {
    return decode_resume_state(spool->source_state("sis").value());
  }

  // The row lines of every pending batch of `stream`; acks them all.
  std::vector<std::string> drain(std::string_view stream) {
    std::vector<std::string> lines;
    const auto pending = spool->pending(0, 1000).value();
    for (const auto& batch : pending) {
      auto opened = frame::open(batch.frame, tenant.private_key);
      REQUIRE(opened);
      if (opened->header.stream == stream) {
        std::size_t start = 0;
        while (start < opened->plaintext.size()) {
          const auto end = opened->plaintext.find('\n', start);
          lines.push_back(opened->plaintext.substr(start, end - start));
          start = end + 1;
        }
      }
      CHECK(spool->ack(batch.seq));
    }
    return lines;
  }
};

TEST_CASE("a failed stream keeps its state and sends no deletes, the others commit") {
  Site site;
  site.script->rows = 3;
  auto first = site.run();
  CHECK(first.failed_streams().empty());
  CHECK(site.state().source == "read-1");
  CHECK(site.state().stream("users") == "users@1");
  CHECK(site.state().stream("classes") == "classes@1");
  CHECK(site.drain("classes").size() == 3);

  // classes breaks after its first row; users loses a row and gains a changed one.
  site.script->failing = {"classes"};
  site.script->rows = 2;
  auto second = site.run();
  REQUIRE(second.failed_streams().size() == 1);
  CHECK(second.failed_streams()[0]->name == "classes");
  CHECK(second.failed_streams()[0]->error->code == ErrorCode::kCorrupt);
  CHECK(second.failed_streams()[0]->deletes == 0);
  // The other stream committed: its delete of users-3 went out, and its state moved.
  CHECK(site.state().stream("users") == "users@2");
  CHECK(site.drain("users") ==
        std::vector<std::string>{R"({"_op":"delete","id":"users-3"})"});
  // The failed stream kept its state, and nothing of it was sent (its rows are unchanged, and
  // classes-2 and classes-3, not read, were not deleted); the source-wide state did not move.
  CHECK(site.state().stream("classes") == "classes@1");
  CHECK(site.drain("classes").empty());
  CHECK(site.state().source == "read-1");
  // The read after that was given each stream's own state.
  site.script->failing.clear();
  site.script->rows = 3;
  auto third = site.run();
  CHECK(third.failed_streams().empty());
  const auto& given = site.script->states_seen.back();
  CHECK(given.source == "read-1");
  CHECK(given.stream("users") == "users@2");
  CHECK(given.stream("classes") == "classes@1");
  CHECK(site.state().source == "read-3");
}

TEST_CASE("a stream whose policy cannot apply fails alone, and its rows are not read") {
  Site site;
  site.settings.streams[1].key = "classSourcedId";  // not a column of classes
  auto report = site.run();
  REQUIRE(report.failed_streams().size() == 1);
  const StreamReport& classes = *report.failed_streams()[0];
  CHECK(classes.name == "classes");
  CHECK(classes.error->code == ErrorCode::kConfig);
  CHECK(classes.rows_read == 0);
  CHECK(site.drain("users").size() == 2);
  CHECK(site.state().stream("users") == "users@1");
  CHECK(site.state().stream("classes").empty());
  CHECK(site.state().source.empty());
}

TEST_CASE("resume states are kept in one text per source, and an earlier version's text is read") {
  connectors::ResumeState state;
  state.source = R"({"fingerprint":"ab"})";
  state.streams["users"] = "u1";
  state.streams["empty"] = "";
  const std::string text = encode_resume_state(state);
  CHECK(text == R"({"format":"ferry-resume-1","source":"{\"fingerprint\":\"ab\"}",)"
                R"("streams":{"users":"u1"}})");
  const auto back = decode_resume_state(text);
  CHECK(back.source == state.source);
  CHECK(back.stream("users") == "u1");
  CHECK(back.streams.size() == 1);
  // Written before per-stream states: the whole text is the source-wide state.
  const auto earlier = decode_resume_state(std::string(R"({"fingerprint":"ab"})"));
  CHECK(earlier.source == R"({"fingerprint":"ab"})");
  CHECK(earlier.streams.empty());
  CHECK(decode_resume_state(std::nullopt).source.empty());
}

}  // namespace
}  // namespace ferry::pipeline
