#include "agent/policy/compiled_policy.hpp"

#include <numeric>

#include <catch2/catch.hpp>

namespace ferry::policy {
namespace {

using config::FieldPolicy;
using config::Transform;
using connectors::RowOp;
using connectors::Value;

const std::vector<std::string> kSourcedIdKey = {"sourcedId"};

crypto::Bytes test_secret() {
  crypto::Bytes secret(32);
  std::iota(secret.begin(), secret.end(), 0);
  return secret;
}

FieldPolicy field(std::string name, Transform transform, std::string domain = "") {
  FieldPolicy policy;
  policy.name = std::move(name);
  policy.transform = transform;
  policy.domain = std::move(domain);
  return policy;
}

std::string pseudonym(std::string_view value, std::string_view domain) {
  auto pseudonymizer = crypto::Pseudonymizer::create(test_secret(), 1, domain);
  std::string out;
  REQUIRE(pseudonymizer->pseudonymize(value, out));
  return out;
}

std::string hash(std::string_view value, std::string_view domain) {
  auto hasher = crypto::Hasher::create(test_secret(), 1, domain);
  std::string out;
  REQUIRE(hasher->hash(value, out));
  return out;
}

struct Fixture {
  TokenFactory tokens{test_secret(), 1};
  config::StreamSettings stream;
  std::vector<std::string> columns;

  CompiledPolicy compile() {
    auto policy = CompiledPolicy::compile(stream, columns, tokens);
    REQUIRE(policy);
    return std::move(*policy);
  }
};

std::string apply(CompiledPolicy& policy, std::vector<Value> row, RowOp op = RowOp::kUpsert) {
  std::string out;
  REQUIRE(policy.apply(row, op, out));
  return out;
}

TEST_CASE("the policy writes listed columns in source order and drops the rest") {
  Fixture f;
  f.stream.fields = {field("sourcedId", Transform::kPseudonymize, "user"),
                     field("grades", Transform::kKeep), field("phone", Transform::kDrop)};
  f.columns = {"sourcedId", "givenName", "phone", "grades"};
  auto policy = f.compile();
  CHECK(policy.dropped_columns() == std::vector<std::string>{"givenName", "phone"});
  CHECK(policy.output_columns() == std::vector<std::string>{"sourcedId", "grades"});
  CHECK(apply(policy, {Value::string("st-1"), Value::string("Ana"), Value::string("555"),
                       Value::string("09")}) ==
        R"({"_op":"upsert","sourcedId":")" + pseudonym("st-1", "user") + R"(","grades":"09"})");
}

TEST_CASE("default keep passes unlisted columns but never a password or secret") {
  Fixture f;
  f.stream.default_transform = Transform::kKeep;
  f.columns = {"username", "PassWord",     "role",         "passwordHash", "Password ",
               "user_pwd2", "PINCode",     "clientSecret", "defaultgroupingid", "spinner",
               "shipping",  "Passwd"};
  auto policy = f.compile();
  CHECK(policy.dropped_columns() ==
        std::vector<std::string>{"PassWord", "passwordHash", "Password", "user_pwd2", "PINCode",
                                 "clientSecret", "Passwd"});
  CHECK(policy.output_columns() ==
        std::vector<std::string>{"username", "role", "defaultgroupingid", "spinner", "shipping"});
  std::vector<Value> row;
  for (const char* value : {"ana", "hunter2", "student", "h1", "h2", "h3", "1234", "s3cr3t", "7",
                            "on", "ups", "h4"}) {
    row.push_back(Value::string(value));
  }
  CHECK(apply(policy, row) ==
        R"({"_op":"upsert","username":"ana","role":"student","defaultgroupingid":"7",)"
        R"("spinner":"on","shipping":"ups"})");
}

TEST_CASE("column names are matched without the white space around them") {
  Fixture f;
  f.stream.fields = {field("sourcedId", Transform::kPseudonymize, "user"),
                     field("grades", Transform::kKeep)};
  f.columns = {" sourcedId", "grades  ", "note"};
  auto policy = f.compile();
  CHECK(policy.output_columns() == std::vector<std::string>{"sourcedId", "grades"});
  CHECK(policy.missing_fields().empty());
  CHECK(apply(policy, {Value::string("st-1"), Value::string("09"), Value::string("x")}) ==
        R"({"_op":"upsert","sourcedId":")" + pseudonym("st-1", "user") + R"(","grades":"09"})");
}

TEST_CASE("values are trimmed and lower-cased before hashing, so spellings join") {
  Fixture f;
  auto email = field("email", Transform::kHash, "email");
  email.normalize = config::Normalize::kLower;
  f.stream.fields = {email};
  f.columns = {"email"};
  auto policy = f.compile();
  const std::string expected =
      R"({"_op":"upsert","email":")" + hash("ana@school.example", "email") + R"("})";
  CHECK(apply(policy, {Value::string("  Ana@School.EXAMPLE ")}) == expected);
  CHECK(apply(policy, {Value::string("ana@school.example")}) == expected);
}

TEST_CASE("the same value in different domains gives different tokens, in one domain the same") {
  Fixture f;
  f.stream.fields = {field("a", Transform::kPseudonymize, "user"),
                     field("b", Transform::kPseudonymize, "user"),
                     field("c", Transform::kPseudonymize, "name")};
  f.columns = {"a", "b", "c"};
  auto policy = f.compile();
  const std::string out =
      apply(policy, {Value::string("x"), Value::string("x"), Value::string("x")});
  CHECK(out == R"({"_op":"upsert","a":")" + pseudonym("x", "user") + R"(","b":")" +
                   pseudonym("x", "user") + R"(","c":")" + pseudonym("x", "name") + R"("})");
  CHECK(pseudonym("x", "user") != pseudonym("x", "name"));
}

TEST_CASE("empty strings and nulls pass through and produce no token") {
  Fixture f;
  f.stream.fields = {field("id", Transform::kPseudonymize, "user"),
                     field("e", Transform::kHash, "e")};
  f.columns = {"id", "e"};
  auto policy = f.compile();
  CHECK(apply(policy, {Value::string("   "), Value::null()}) ==
        R"({"_op":"upsert","id":"","e":null})");
}

TEST_CASE("list fields transform each element and join them with commas") {
  Fixture f;
  auto agents = field("agentSourcedIds", Transform::kPseudonymize, "user");
  agents.list = true;
  f.stream.fields = {agents};
  f.columns = {"agentSourcedIds"};
  auto policy = f.compile();
  CHECK(apply(policy, {Value::string("p-1, p-2,,p-3 ")}) ==
        R"({"_op":"upsert","agentSourcedIds":")" + pseudonym("p-1", "user") + "," +
            pseudonym("p-2", "user") + ",," + pseudonym("p-3", "user") + R"("})");
}

TEST_CASE("generalize to year, year_month, prefix and bucket, unparsable values become null") {
  Fixture f;
  auto year = field("birthDate", Transform::kGeneralize);
  year.generalize = {config::Generalize::Kind::kYear, 0, {}};
  auto month = field("enrolled", Transform::kGeneralize);
  month.generalize = {config::Generalize::Kind::kYearMonth, 0, {}};
  auto zip = field("zip", Transform::kGeneralize);
  zip.generalize = {config::Generalize::Kind::kPrefix, 3, {}};
  auto age = field("age", Transform::kGeneralize);
  age.generalize = {config::Generalize::Kind::kBucket, 5, {}};
  f.stream.fields = {year, month, zip, age};
  f.columns = {"birthDate", "enrolled", "zip", "age"};
  auto policy = f.compile();
  CHECK(apply(policy, {Value::string("2009-04-17"), Value::string("2024-09-02T08:00:00Z"),
                       Value::string("90210"), Value::number("14")}) ==
        R"({"_op":"upsert","birthDate":"2009","enrolled":"2024-09","zip":"902","age":10})");
  CHECK(policy.unparsable_values() == 0);
  CHECK(apply(policy, {Value::string("17/04/2009"), Value::string("2024"), Value::string("9"),
                       Value::string("fourteen")}) ==
        R"({"_op":"upsert","birthDate":null,"enrolled":null,"zip":"9","age":null})");
  CHECK(policy.unparsable_values() == 3);
}

TEST_CASE("generalize reads ISO dates first and then the field's date_format") {
  Fixture f;
  auto year = field("birthDate", Transform::kGeneralize);
  year.generalize.kind = config::Generalize::Kind::kYear;
  year.generalize.date_format = *config::parse_date_format("%m/%d/%y");
  auto month = field("enrolled", Transform::kGeneralize);
  month.generalize.kind = config::Generalize::Kind::kYearMonth;
  month.generalize.date_format = *config::parse_date_format("%d.%m.%Y");
  f.stream.fields = {year, month};
  f.columns = {"birthDate", "enrolled"};
  auto policy = f.compile();
  CHECK(apply(policy, {Value::string("4/17/09"), Value::string("2.9.2024")}) ==
        R"({"_op":"upsert","birthDate":"2009","enrolled":"2024-09"})");
  CHECK(apply(policy, {Value::string("12/31/98"), Value::string("2024-09-02")}) ==
        R"({"_op":"upsert","birthDate":"1998","enrolled":"2024-09"})");
  CHECK(policy.bad_value_count() == 0);
  CHECK(policy.bad_values().empty());
  // 2/30 does not exist; a date_format does not make other layouts readable.
  CHECK(apply(policy, {Value::string("2/30/09"), Value::string("09/02/2024")}) ==
        R"({"_op":"upsert","birthDate":null,"enrolled":null})");
  CHECK(apply(policy, {Value::string("17 April 2009"), Value::string("")}) ==
        R"({"_op":"upsert","birthDate":null,"enrolled":""})");
  CHECK(policy.unparsable_values() == 3);
  CHECK(policy.bad_value_count() == 3);
  const auto bad = policy.bad_values();
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].field == "birthDate");
  CHECK(bad[0].unparsable == 2);
  CHECK(bad[1].field == "enrolled");
  CHECK(bad[1].unparsable == 1);
}

TEST_CASE("bad values are counted per field: unparsable and invalid UTF-8 alike") {
  Fixture f;
  f.stream.default_transform = Transform::kKeep;
  auto age = field("age", Transform::kGeneralize);
  age.generalize.kind = config::Generalize::Kind::kBucket;
  age.generalize.n = 5;
  f.stream.fields = {age};
  f.columns = {"id", "note", "age"};
  auto policy = f.compile();
  apply(policy, {Value::string("1"), Value::string("ok"), Value::string("12")});
  apply(policy, {Value::string("2"), Value::string("caf\xE9"), Value::string("twelve")});
  apply(policy, {Value::string("3"), Value::string("\xFF"), Value::string("7")});
  CHECK(policy.bad_value_count() == 3);
  const auto bad = policy.bad_values();
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].field == "note");
  CHECK(bad[0].invalid_utf8 == 2);
  CHECK(bad[0].unparsable == 0);
  CHECK(bad[1].field == "age");
  CHECK(bad[1].unparsable == 1);
  CHECK(bad[1].total() == 1);
}

TEST_CASE("kept text is escaped as JSON and invalid UTF-8 is replaced") {
  Fixture f;
  f.stream.default_transform = Transform::kKeep;
  f.columns = {"note", "n", "b"};
  auto policy = f.compile();
  CHECK(apply(policy, {Value::string("say \"hi\"\n\tback\\slash \x01 caf\xC3\xA9 bad\xFF"),
                       Value::number("-3.5"), Value::boolean(true)}) ==
        "{\"_op\":\"upsert\",\"note\":\"say \\\"hi\\\"\\n\\tback\\\\slash \\u0001 caf\xC3\xA9 "
        "bad\xEF\xBF\xBD\",\"n\":-3.5,\"b\":true}");
  CHECK(policy.invalid_utf8_values() == 1);
}

TEST_CASE("a delete row is marked with _op delete") {
  Fixture f;
  f.stream.fields = {field("id", Transform::kPseudonymize, "user")};
  f.columns = {"id"};
  auto policy = f.compile();
  CHECK(apply(policy, {Value::string("st-9")}, RowOp::kDelete) ==
        R"({"_op":"delete","id":")" + pseudonym("st-9", "user") + R"("})");
}

TEST_CASE("fields the source does not have are reported as missing") {
  Fixture f;
  f.stream.fields = {field("sourcedId", Transform::kKeep), field("emial", Transform::kDrop)};
  f.columns = {"sourcedId", "email"};
  auto policy = f.compile();
  CHECK(policy.missing_fields() == std::vector<std::string>{"emial"});
}

}  // namespace
}  // namespace ferry::policy

namespace ferry::policy {
namespace {

crypto::Bytes other_secret() { return crypto::Bytes(32, 0x5a); }

// The digest of one row under a factory.
CompiledPolicy::Digest digest_of(TokenFactory& tokens, const config::StreamSettings& stream,
                                 const std::vector<std::string>& columns,
                                 std::vector<Value> row) {
  auto policy = CompiledPolicy::compile(stream, columns, tokens, kSourcedIdKey);
  REQUIRE(policy);
  std::string out;
  REQUIRE(policy->apply(row, RowOp::kUpsert, out));
  auto digest = policy->digest();
  REQUIRE(digest);
  return *digest;
}

TEST_CASE("a row's digest is the same under every key version and changes with its values") {
  config::StreamSettings stream;
  stream.fields = {field("sourcedId", Transform::kPseudonymize, "user"),
                   field("email", Transform::kHash, "email"), field("grades", Transform::kKeep)};
  const std::vector<std::string> columns = {"sourcedId", "email", "grades"};
  const std::vector<Value> row = {Value::string("st-1"), Value::string("a@example.invalid"),
                                  Value::string("09")};
  // Version 1, and version 2 with another secret: the digest key is the first version's.
  TokenFactory v1(test_secret(), 1, test_secret());
  TokenFactory v2(other_secret(), 2, test_secret());
  const auto before = digest_of(v1, stream, columns, row);
  CHECK(digest_of(v2, stream, columns, row) == before);

  // Another value, another domain, another digest key: another digest.
  CHECK(digest_of(v1, stream, columns,
                  {Value::string("st-1"), Value::string("b@example.invalid"),
                   Value::string("09")}) != before);
  auto moved = stream;
  moved.fields[1].domain = "mail";
  CHECK(digest_of(v1, moved, columns, row) != before);
  TokenFactory other_digest_key(test_secret(), 1, other_secret());
  CHECK(digest_of(other_digest_key, stream, columns, row) != before);
}

TEST_CASE("after a rotation the policy maps each token it writes once but not a pseudonym key") {
  config::StreamSettings stream;
  stream.fields = {field("sourcedId", Transform::kPseudonymize, "user"),
                   field("email", Transform::kHash, "email"),
                   field("givenName", Transform::kPseudonymize, "name")};
  const std::vector<std::string> columns = {"sourcedId", "email", "givenName"};
  TokenFactory v1(test_secret(), 1, test_secret());
  TokenFactory v2(other_secret(), 2, test_secret());
  TokenMaps maps;
  auto policy = CompiledPolicy::compile(stream, columns, v2, kSourcedIdKey, nullptr, &v1, &maps);
  REQUIRE(policy);
  const std::vector<Value> row = {Value::string("st-1"), Value::string("a@example.invalid"),
                                  Value::string("Ana")};
  for (int i = 0; i < 2; ++i) {  // the same values twice: mapped once
    std::string out;
    REQUIRE(policy->apply(row, RowOp::kUpsert, out));
  }
  const auto taken = maps.take();
  REQUIRE(taken.size() == 2);
  CHECK(taken[0].domain == "email");
  CHECK(taken[0].old_token == hash("a@example.invalid", "email"));
  CHECK(taken[0].new_token.rfind("h2.", 0) == 0);
  CHECK(taken[1].domain == "name");
  CHECK(taken[1].old_token == pseudonym("Ana", "name"));
  CHECK(taken[1].new_token.rfind("p2.", 0) == 0);
  std::string line;
  append_map_line(line, taken[1]);
  CHECK(line == R"({"domain":"name","old":")" + taken[1].old_token + R"(","new":")" +
                    taken[1].new_token + R"("})");
}

TEST_CASE("a composite key is stored as its columns and values in key order") {
  Fixture f;
  f.stream.name = "enrollments";
  f.stream.fields = {field("userSourcedId", Transform::kPseudonymize, "user"),
                     field("classSourcedId", Transform::kKeep), field("role", Transform::kKeep)};
  f.columns = {"userSourcedId", "classSourcedId", "role"};
  const std::vector<std::string> key = {"classSourcedId", "userSourcedId"};
  auto policy = CompiledPolicy::compile(f.stream, f.columns, f.tokens, key);
  REQUIRE(policy);
  CHECK(policy->composite_key());
  CHECK(policy->key_name() == "classSourcedId");
  std::string out =
      apply(*policy, {Value::string("st-1"), Value::string("c-9"), Value::string("student")});
  CHECK(std::string(policy->last_key(out)) ==
        R"("classSourcedId":"c-9","userSourcedId":")" + pseudonym("st-1", "user") + "\"");
  // Each row its own key, whatever was in the buffer before.
  out = apply(*policy, {Value::string("st-2"), Value::string("c-9"), Value::string("student")});
  CHECK(std::string(policy->last_key(out)) ==
        R"("classSourcedId":"c-9","userSourcedId":")" + pseudonym("st-2", "user") + "\"");
}

TEST_CASE("a single key is stored as its value alone") {
  Fixture f;
  f.stream.fields = {field("sourcedId", Transform::kKeep)};
  f.columns = {"sourcedId"};
  auto policy = CompiledPolicy::compile(f.stream, f.columns, f.tokens, kSourcedIdKey);
  REQUIRE(policy);
  CHECK_FALSE(policy->composite_key());
  CHECK(policy->key_name() == "sourcedId");
  const std::string out = apply(*policy, {Value::string("o-1")});
  CHECK(std::string(policy->last_key(out)) == R"("o-1")");
}

TEST_CASE("every column of a composite key must be sent") {
  Fixture f;
  f.stream.name = "enrollments";
  f.stream.fields = {field("userSourcedId", Transform::kPseudonymize, "user"),
                     field("classSourcedId", Transform::kDrop)};
  f.columns = {"userSourcedId", "classSourcedId"};
  const std::vector<std::string> dropped = {"userSourcedId", "classSourcedId"};
  auto policy = CompiledPolicy::compile(f.stream, f.columns, f.tokens, dropped);
  REQUIRE_FALSE(policy);
  CHECK_THAT(policy.error().message, Catch::Contains("'classSourcedId' is dropped"));
  const std::vector<std::string> absent = {"userSourcedId", "sectionId"};
  policy = CompiledPolicy::compile(f.stream, f.columns, f.tokens, absent);
  REQUIRE_FALSE(policy);
  CHECK_THAT(policy.error().message, Catch::Contains("'sectionId' is not among the columns"));
}

}  // namespace
}  // namespace ferry::policy
