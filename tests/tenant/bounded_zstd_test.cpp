#include "tests/tenant/bounded_zstd.hpp"

#include <stdexcept>

#include <catch2/catch.hpp>

#include "common/frame/frame.hpp"
#include "tests/tenant/tenant_test_util.hpp"

namespace ferry::tenant {
namespace {

using test::zstd_without_size;

constexpr std::uint64_t kMiB = 1024 * 1024;

crypto::Bytes declared_frame(std::string_view text) {
  auto compressed = frame::zstd_compress(text);
  if (!compressed) throw std::runtime_error(compressed.error().message);
  return std::move(*compressed);
}

const std::string kLines =
    "{\"_op\":\"upsert\",\"id\":\"p1.a\"}\n{\"_op\":\"upsert\",\"id\":\"p1.b\"}\n";

TEST_CASE("a zstd frame within the limit decompresses, with or without a declared size") {
  CHECK(bounded_zstd_decompress(declared_frame(kLines), kMiB).value() == kLines);
  CHECK(bounded_zstd_decompress(zstd_without_size(kLines, 16), kMiB).value() == kLines);
  CHECK(bounded_zstd_decompress(declared_frame(""), kMiB).value().empty());
  const std::string large(3 * kMiB + 17, 'x');
  CHECK(bounded_zstd_decompress(declared_frame(large), 4 * kMiB).value() == large);
  CHECK(bounded_zstd_decompress(zstd_without_size(large, 18), 4 * kMiB).value() == large);
}

TEST_CASE("a zstd bomb is refused at the limit, whether or not it declares its size") {
  const std::string zeros(50 * kMiB, '\0');
  const struct {
    crypto::Bytes bomb;
    std::string_view message;
  } cases[] = {
      // As a Ferry agent compresses: refused before anything is decompressed.
      {declared_frame(zeros),
       "batch payload declares 50MiB of plaintext, more than this tenant's --max-batch-bytes "
       "(1MiB): lower the agent's uplink.batch.max_bytes"},
      // As a streaming compressor does: decompression stops once past the limit.
      {zstd_without_size(zeros, 17),
       "batch payload decompresses to more than this tenant's --max-batch-bytes (1MiB): lower the "
       "agent's uplink.batch.max_bytes"},
  };
  for (const auto& [bomb, message] : cases) {
    REQUIRE(bomb.size() < 16 * 1024);
    auto opened = bounded_zstd_decompress(bomb, kMiB);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == ErrorCode::kInvalidArgument);
    CHECK(opened.error().message == message);
  }
}

TEST_CASE("the limit is inclusive: exactly max_bytes passes, one byte more does not") {
  const std::string exact(kMiB, 'a');
  for (const auto& frame : {declared_frame(exact), zstd_without_size(exact, 17)}) {
    CHECK(bounded_zstd_decompress(frame, kMiB).value().size() == kMiB);
    auto over = bounded_zstd_decompress(frame, kMiB - 1);
    REQUIRE_FALSE(over);
    CHECK_THAT(over.error().message, Catch::Contains("--max-batch-bytes (1048575B)"));
  }
}

TEST_CASE("a frame whose window is larger than the limit is refused, naming the limit") {
  // Not declaring its size, it would make a streaming decoder keep a 4 MiB window for a 1 MiB
  // limit.
  auto opened = bounded_zstd_decompress(zstd_without_size(std::string(3 * kMiB, 'w'), 22), kMiB);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == ErrorCode::kInvalidArgument);
  CHECK(opened.error().message ==
        "batch payload's zstd frame needs a window larger than this tenant's --max-batch-bytes "
        "(1MiB)");
}

TEST_CASE("a payload that is not exactly one whole zstd frame is refused as corrupt") {
  auto frame = declared_frame(kLines);
  auto not_zstd = bounded_zstd_decompress(crypto::as_bytes("{\"id\":1}\n"), kMiB);
  REQUIRE_FALSE(not_zstd);
  CHECK(not_zstd.error().code == ErrorCode::kCorrupt);
  CHECK(not_zstd.error().message == "batch payload is not a zstd frame");

  auto two = frame;
  two.insert(two.end(), frame.begin(), frame.end());
  auto twice = bounded_zstd_decompress(two, kMiB);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == ErrorCode::kCorrupt);
  CHECK_THAT(twice.error().message, Catch::Contains("after its zstd frame"));

  auto undeclared = zstd_without_size(kLines, 16);
  undeclared.push_back(0);
  CHECK_THAT(bounded_zstd_decompress(undeclared, kMiB).error().message,
             Catch::Contains("1 bytes after its zstd frame"));

  for (auto cut : {declared_frame(std::string(kMiB, 'c') + kLines),
                   zstd_without_size(std::string(kMiB, 'c') + kLines, 17)}) {
    REQUIRE(cut.size() > 4);
    cut.erase(cut.end() - 4, cut.end());  // (resize() here trips g++ 12's -Wstringop-overflow)
    auto truncated = bounded_zstd_decompress(cut, 2 * kMiB);
    REQUIRE_FALSE(truncated);
    CHECK(truncated.error().code == ErrorCode::kCorrupt);
  }
}

}  // namespace
}  // namespace ferry::tenant
