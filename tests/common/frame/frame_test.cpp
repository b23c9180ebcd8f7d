#include "common/frame/frame.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/x25519.hpp"

namespace ferry::frame {
namespace {

Header sample_header() {
  Header header;
  header.batch_id = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
  header.agent_id = "school-042";
  header.tenant_id = "district-7";
  header.spool_id = "0b1c2d3e-0000-4000-8000-000000000001";
  header.seq = 41;
  header.source = "sis";
  header.stream = "users";
  header.rows = 2;
  header.key_version = 1;
  header.created_at = "2026-11-23T10:00:00Z";
  return header;
}

TEST_CASE("the frame header carries every key of SPEC section 5 in order") {
  CHECK(sample_header().to_json() ==
        R"({"v":1,"batch_id":"f47ac10b-58cc-4372-a567-0e02b2c3d479","agent_id":"school-042",)"
        R"("tenant_id":"district-7","spool_id":"0b1c2d3e-0000-4000-8000-000000000001","seq":41,)"
        R"("kind":"rows","source":"sis","stream":"users","rows":2,"encoding":"jsonl+zstd",)"
        R"("key_version":1,"created_at":"2026-11-23T10:00:00Z"})");
  auto parsed = Header::from_json(sample_header().to_json());
  REQUIRE(parsed);
  CHECK(parsed->seq == 41);
  CHECK(parsed->stream == "users");
}

TEST_CASE("a tenant key id is the hex of the first 8 bytes of the public key's SHA-256") {
  // RFC 7748 section 6.1: Alice's public key.
  const crypto::Bytes alice = {0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d,
                               0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38,
                               0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
  CHECK(tenant_key_id(alice).value() == "300c9c9603b92a4b");
  CHECK(is_key_id("300c9c9603b92a4b"));
  CHECK_FALSE(is_key_id("300C9C9603B92A4B"));
  CHECK_FALSE(is_key_id("300c9c96"));
}

TEST_CASE("the header round-trips with and without tenant_key_id") {
  Header named = sample_header();
  named.tenant_key_id = "300c9c9603b92a4b";
  const std::string json = named.to_json();
  CHECK(
      json.ends_with(R"("created_at":"2026-11-23T10:00:00Z","tenant_key_id":"300c9c9603b92a4b"})"));
  auto parsed = Header::from_json(json);
  REQUIRE(parsed);
  CHECK(parsed->tenant_key_id == "300c9c9603b92a4b");
  CHECK(parsed->to_json() == json);

  // As agents from before the key id wrote it: accepted, the id empty, written back the same.
  auto older = Header::from_json(sample_header().to_json());
  REQUIRE(older);
  CHECK(older->tenant_key_id.empty());
  CHECK(older->to_json() == sample_header().to_json());

  std::string wrong = json;
  wrong.replace(wrong.find("300c9c9603b92a4b"), 16, "not-a-key-id");
  CHECK_THAT(Header::from_json(wrong).error().message, Catch::Contains("tenant_key_id"));
}

TEST_CASE("a frame names the key it is sealed to and refuses to name another") {
  auto tenant = crypto::x25519_generate_keypair();
  auto other = crypto::x25519_generate_keypair();
  Header header = sample_header();
  header.tenant_key_id = tenant_key_id(tenant->public_key).value();
  auto frame = seal(header, tenant->public_key, *zstd_compress("{}\n"));
  REQUIRE(frame);
  auto opened = open(*frame, tenant->private_key);
  REQUIRE(opened);
  CHECK(opened->header.tenant_key_id == header.tenant_key_id);

  auto mislabelled = seal(header, other->public_key, *zstd_compress("{}\n"));
  REQUIRE_FALSE(mislabelled);
  CHECK(mislabelled.error().code == ErrorCode::kInternal);
}

TEST_CASE("a sealed frame opens with the tenant's private key and yields the rows") {
  auto tenant = crypto::x25519_generate_keypair();
  REQUIRE(tenant);
  const std::string rows =
      "{\"_op\":\"upsert\",\"id\":\"p1.x\"}\n{\"_op\":\"upsert\",\"id\":\"p1.y\"}\n";
  auto compressed = zstd_compress(rows);
  REQUIRE(compressed);
  auto frame = seal(sample_header(), tenant->public_key, *compressed);
  REQUIRE(frame);
  CHECK(std::string_view(reinterpret_cast<const char*>(frame->data()), 4) == "FRY1");
  auto view = split(*frame);
  REQUIRE(view);
  CHECK(view->header_json == sample_header().to_json());
  CHECK(view->enc.size() == 32);

  auto opened = open(*frame, tenant->private_key);
  REQUIRE(opened);
  CHECK(opened->plaintext == rows);
  CHECK(opened->header.batch_id == sample_header().batch_id);
}

TEST_CASE("a frame whose header was altered, or opened with another key, is refused") {
  auto tenant = crypto::x25519_generate_keypair();
  auto other = crypto::x25519_generate_keypair();
  auto frame = seal(sample_header(), tenant->public_key, *zstd_compress("{}\n"));
  REQUIRE(frame);
  auto wrong_key = open(*frame, other->private_key);
  REQUIRE_FALSE(wrong_key);
  CHECK_THAT(wrong_key.error().message, Catch::Contains("does not decrypt"));

  auto altered = *frame;
  const std::string json = sample_header().to_json();
  const auto at = json.find("\"seq\":41") + 7;
  altered[8 + at] = '2';  // seq 41 -> 42, still valid JSON: only the AAD check can notice
  auto opened = open(altered, tenant->private_key);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == ErrorCode::kCorrupt);
}

TEST_CASE("truncated frames and bad magic are refused before any decryption") {
  CHECK_FALSE(split(crypto::Bytes{'F', 'R', 'Y'}));
  crypto::Bytes wrong = {'X', 'R', 'Y', '1', 0, 0, 0, 2, '{', '}'};
  CHECK_THAT(split(wrong).error().message, Catch::Contains("FRY1"));
  crypto::Bytes short_frame = {'F', 'R', 'Y', '1', 0, 0, 0, 2, '{', '}'};
  CHECK_THAT(split(short_frame).error().message, Catch::Contains("truncated"));
}

TEST_CASE("zstd refuses payloads larger than the limit") {
  auto compressed = zstd_compress(std::string(10000, 'a'));
  REQUIRE(compressed);
  CHECK(zstd_decompress(*compressed, 20000).value().size() == 10000);
  CHECK_FALSE(zstd_decompress(*compressed, 100));
}

TEST_CASE("UUIDs are version 4 and unique") {
  auto a = new_uuid();
  auto b = new_uuid();
  REQUIRE(a);
  CHECK_THAT(*a,
             Catch::Matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  CHECK(*a != *b);
}

}  // namespace
}  // namespace ferry::frame
