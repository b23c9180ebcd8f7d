// scrypt over OpenSSL's EVP_KDF: the RFC 7914 section 12 known answers, and the parameter limits
// that keep a key export from asking for unbounded memory.
#include "common/crypto/scrypt.hpp"

#include <catch2/catch.hpp>

#include "tests/common/crypto/crypto_test_util.hpp"

namespace ferry::crypto {
namespace {

using test::to_hex;

// RFC 7914 section 12, the three vectors that run in well under a second (the fourth, N=2^20,
// takes a gigabyte).
struct ScryptVector {
  const char* password;
  const char* salt;
  ScryptParams params;
  const char* derived;  // 64 bytes, hex
};

constexpr ScryptVector kVectors[] = {
    {"",
     "",
     {16, 1, 1},
     "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
     "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
    {"password",
     "NaCl",
     {1024, 8, 16},
     "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
     "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
    {"pleaseletmein",
     "SodiumChloride",
     {16384, 8, 1},
     "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
     "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"},
};

TEST_CASE("scrypt matches the RFC 7914 known answers") {
  for (const auto& v : kVectors) {
    INFO(v.password << " N=" << v.params.n);
    auto derived = scrypt(as_bytes(v.password), as_bytes(v.salt), v.params, 64);
    REQUIRE(derived);
    CHECK(to_hex(*derived) == v.derived);
  }
}

TEST_CASE("scrypt refuses parameters out of range before deriving anything") {
  const auto refused = [](ScryptParams params) {
    auto derived = scrypt(as_bytes("passphrase"), as_bytes("salt"), params, 32);
    return !derived && derived.error().code == ErrorCode::kInvalidArgument;
  };
  CHECK(refused({1000, 8, 1}));                    // not a power of two
  CHECK(refused({1, 8, 1}));                       // less than 2
  CHECK(refused({1024, 0, 1}));                    // r = 0
  CHECK(refused({1024, 8, 0}));                    // p = 0
  CHECK(refused({std::uint64_t{1} << 17, 1, 1}));  // N >= 2^(16 r)
  CHECK(refused({std::uint64_t{1} << 21, 8, 1}));  // 2 GiB of memory
  CHECK(refused({1024, 8, 1u << 28}));             // p * r >= 2^30
  CHECK(check_scrypt_params({}).has_value());      // the default, N=2^17 r=8 p=1: 128 MiB
  CHECK(check_scrypt_params({std::uint64_t{1} << 20, 8, 1}).has_value());  // 1 GiB, the limit
}

}  // namespace
}  // namespace ferry::crypto
