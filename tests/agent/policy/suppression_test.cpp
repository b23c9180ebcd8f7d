// The suppression list of `ferry erase`, and the policy marking rows that carry a listed token.
#include "agent/policy/suppression.hpp"

#include <fstream>
#include <numeric>

#include <catch2/catch.hpp>

#include "agent/app/erase.hpp"
#include "agent/policy/compiled_policy.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::policy {
namespace {

using config::FieldPolicy;
using config::Transform;
using connectors::RowOp;
using connectors::Value;

crypto::Bytes secret() {
  crypto::Bytes bytes(32);
  std::iota(bytes.begin(), bytes.end(), 7);
  return bytes;
}

std::string token(std::string_view value, std::string_view domain) {
  auto pseudonymizer = crypto::Pseudonymizer::create(secret(), 1, domain).value();
  std::string out;
  REQUIRE(pseudonymizer.pseudonymize(value, out));
  return out;
}

TEST_CASE("the suppression list starts empty, adds only new tokens and survives a reload") {
  test::TempDir dir;
  auto empty = Suppression::load(dir.path());
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK(Suppression::add(dir.path(), {{"user", "p1.a"}, {"user", "p1.b"}}).value() == 2);
  CHECK(Suppression::add(dir.path(), {{"user", "p1.b"}, {"email", "h1.c"}}).value() == 1);
  auto loaded = Suppression::load(dir.path());
  REQUIRE(loaded);
  CHECK(loaded->size() == 3);
  CHECK(loaded->covers("user"));
  CHECK(loaded->covers("email"));
  CHECK_FALSE(loaded->covers("org"));
  CHECK(loaded->contains("p1.b"));
  CHECK_FALSE(loaded->contains("p1.z"));
  CHECK(test::owner_only(dir / std::string(kSuppressionFile)));
}

TEST_CASE("a damaged suppression list is an error that names the file, never an empty list") {
  test::TempDir dir;
  std::ofstream(dir / std::string(kSuppressionFile)) << "{\"entries\": 3}";
  auto loaded = Suppression::load(dir.path());
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message.find("suppression.json") != std::string::npos);
}

TEST_CASE("rows carrying a suppressed token in a listed domain are marked, others are not") {
  test::TempDir dir;
  REQUIRE(Suppression::add(dir.path(), {{"user", token("u-1", "user")}}));
  auto list = Suppression::load(dir.path()).value();
  TokenFactory tokens(secret(), 1);
  config::StreamSettings stream;
  stream.name = "enrollments";
  FieldPolicy user;
  user.name = "userSourcedId";
  user.transform = Transform::kPseudonymize;
  user.domain = "user";
  FieldPolicy agents = user;
  agents.name = "agents";
  agents.list = true;
  FieldPolicy other = user;
  other.name = "classSourcedId";
  other.domain = "class";
  stream.fields = {user, agents, other};
  const std::vector<std::string> columns = {"userSourcedId", "agents", "classSourcedId"};
  auto policy = CompiledPolicy::compile(stream, columns, tokens, {}, &list).value();

  auto apply = [&](std::vector<Value> row) {
    std::string out;
    REQUIRE(policy.apply(row, RowOp::kUpsert, out));
    return policy.suppressed();
  };
  auto text = [](std::string_view s) { return Value::string(s); };
  CHECK(apply({text(" u-1 "), text(""), text("c-1")}));  // trimmed like the policy does
  CHECK_FALSE(apply({text("u-2"), text(""), text("c-1")}));
  CHECK(apply({text("u-2"), text("u-3, u-1"), text("c-1")}));  // one element of a list
  CHECK_FALSE(apply({text("u-2"), text(""), text("u-1")}));    // same value, another domain
}

TEST_CASE("a subject's tokens cover every key version, both transforms and lower-casing") {
  test::TempDir dir;
  auto keyring = keys::Keyring::create(dir / "keyring.json", std::chrono::system_clock::now());
  REQUIRE(keyring);
  REQUIRE(keyring->rotate(std::chrono::system_clock::now()));
  const std::vector<std::string> values = {" Ada@Example.org "};
  auto tokens = app::subject_tokens(*keyring, "email", values);
  REQUIRE(tokens);
  // 2 versions x (pseudonymize, hash) x (as given, lower-cased).
  CHECK(tokens->size() == 8);
  std::size_t v1 = 0;
  std::size_t v2 = 0;
  for (const auto& made : *tokens) {
    v1 += made.rfind("p1.", 0) == 0 || made.rfind("h1.", 0) == 0;
    v2 += made.rfind("p2.", 0) == 0 || made.rfind("h2.", 0) == 0;
  }
  CHECK(v1 == 4);
  CHECK(v2 == 4);
  CHECK_FALSE(app::subject_tokens(*keyring, "Bad Domain", values));
  const std::vector<std::string> blank = {"  "};
  CHECK_FALSE(app::subject_tokens(*keyring, "email", blank));
}

}  // namespace
}  // namespace ferry::policy
