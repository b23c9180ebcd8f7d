// Known-answer vectors for the crypto tests, as constants: published test vectors are facts, and
// keeping their values here means no crypto test depends on files outside the project (a fresh
// clone runs every one of them). Hex strings are lowercase, byte order as written in the source.
// Each vector names where it is published; every value was checked against that source and
// against OpenSSL 3.0 (Debian 12).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ferry::test::known_answers {

// ---- AES-SIV (RFC 5297): output is V (the 16-byte synthetic IV) followed by C ----------------

struct AesSivVector {
  std::string_view name;
  std::string_view key;              // 256 bits (AES-SIV-CMAC-256) or 512 bits (-512)
  std::vector<std::string_view> ad;  // the S2V components in order; a nonce is the last one
  std::string_view plaintext;
  std::string_view siv;
  std::string_view ciphertext;
};

// RFC 5297 A.1 (deterministic) and A.2 (nonce-based, three AD components), then the 512-bit-key
// and edge cases of OpenSSL's evpciph_aes_siv.txt and Project Wycheproof's aes_siv_cmac_test.
inline const std::vector<AesSivVector> kAesSiv = {
    {"RFC 5297 A.1",
     "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
     {"101112131415161718191a1b1c1d1e1f2021222324252627"},
     "112233445566778899aabbccddee",
     "85632d07c6e8f37f950acd320a2ecc93",
     "40c02b9690c4dc04daef7f6afe5c"},
    {"RFC 5297 A.2",
     "7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f",
     {"00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100",
      "102030405060708090a0", "09f911029d74e35bd84156c5635688c0"},
     "7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d4"
     "14553",
     "7bdb6e3b432667eb06f4d14bff2fbd0f",
     "cb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd"
     "5c0d"},
    {"OpenSSL evpciph_aes_siv.txt, AES-256-SIV (512-bit key)",
     "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfefff0f1f2f3f4f5f6f7f8f9fafbfcfd"
     "fefffffefdfcfbfaf9f8f7f6f5f4f3f2f1f0",
     {"101112131415161718191a1b1c1d1e1f2021222324252627"},
     "112233445566778899aabbccddee",
     "724dfb2eaf94dbb19b0ba3a299a0801e",
     "f3b05a55498ec2552690b89810e4"},
    {"Wycheproof aes_siv_cmac, 512-bit key, plaintext longer than a block",
     "139383f3f82dc78e0b380027f9e5fcd2ed23716404be5c554452e4dc73d237026594491820c6b8297185cc1fa8"
     "4f49a5c7d7cd05c5de090ff1c3397bc2740437",
     {"d39da73ffc03ad0a9213ffc7"},
     "48604944a80fadf50d55b87727934458c8",
     "a9cf73951cb39823777f35c96c845169",
     "476e2ec2317cb6b8dd8b6172fdceabff9d"},
    // One EMPTY associated data component (not none): a zero synthetic IV.
    {"Wycheproof aes_siv_cmac, 512-bit key, one empty AD, zero SIV",
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c"
     "2d2e2f303132333435363738393a3b3c3d3e3f",
     {""},
     "8dbfee9580e7e2bc66100a674497f4e1",
     "00000000000000000000000000000000",
     "7ef8aa7e4dd49d9cfa09e9cb574fd90d"},
    // An empty plaintext, which OpenSSL 3.0's own AES-SIV cannot encrypt.
    {"Wycheproof aes_siv_cmac, 256-bit key, empty message",
     "2b27e429fb6c02678e589ccc4437c5adfb44b331ab6d21ea321727e6ec03d354",
     {""},
     "",
     "b2b2354e3724dcdaa85ecf029b49a90c",
     ""},
};

// RFC 5297 A.1, the S2V steps with K1 (the first half of its key): CMAC(K1, <zero>) and
// CMAC(K1, AD).
inline constexpr std::string_view kRfc5297A1CmacZeroBlock = "0e04dfafc1efbf040140582859bf073a";
inline constexpr std::string_view kRfc5297A1CmacAd = "f1f922b7f5193ce64ff80cb47d93f23b";

// ---- HMAC-SHA256 (RFC 4231 section 4) ----------------------------------------------------------

struct HmacVector {
  std::string_view name;
  std::string_view key;   // hex
  std::string_view data;  // text
  std::string_view mac;
};

inline const std::vector<HmacVector> kHmacSha256 = {
    {"RFC 4231 test case 1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"RFC 4231 test case 2", "4a656665", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
};

// ---- HKDF-SHA256 (RFC 5869 appendix A) ---------------------------------------------------------

struct HkdfVector {
  std::string_view name;
  std::string_view ikm;
  std::string_view salt;
  std::string_view info;
  std::size_t length;
  std::string_view prk;
  std::string_view okm;
};

inline const std::vector<HkdfVector> kHkdfSha256 = {
    {"RFC 5869 A.1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
     "f0f1f2f3f4f5f6f7f8f9", 42, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
    {"RFC 5869 A.3 (empty salt and info)", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
     42, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
};

// ---- AES-256-GCM (McGrew and Viega, "The Galois/Counter Mode of Operation", test cases) --------

struct GcmVector {
  std::string_view name;
  std::string_view key;
  std::string_view iv;
  std::string_view aad;
  std::string_view plaintext;
  std::string_view ciphertext;
  std::string_view tag;
};

inline const std::vector<GcmVector> kAes256Gcm = {
    {"GCM test case 13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"GCM test case 14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
};

// ---- HPKE (RFC 9180 A.1.1): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode ---
// RFC 9180 publishes no vector for X25519 with AES-256-GCM (the suite Ferry seals batches with);
// A.1.1 pins the KEM, the key schedule and the context, which the suites share, and the AES-256
// path is checked by round trips and by the GCM vectors above.

struct HpkeEncryption {
  std::uint64_t seq;
  std::string_view aad;
  std::string_view ciphertext;
};

struct HpkeExport {
  std::string_view context;
  std::size_t length;
  std::string_view value;
};

struct HpkeVector {
  std::string_view info;
  std::string_view sk_em;  // the sender's ephemeral key
  std::string_view pk_em;  // = enc
  std::string_view sk_rm;
  std::string_view pk_rm;
  std::string_view plaintext;  // the same for every encryption
  std::vector<HpkeEncryption> encryptions;
  std::vector<HpkeExport> exports;
};

inline const HpkeVector kHpkeRfc9180A11 = {
    "4f6465206f6e2061204772656369616e2055726e",
    "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
    "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    "4265617574792069732074727574682c20747275746820626561757479",
    {{0, "436f756e742d30",
      "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"},
     {1, "436f756e742d31",
      "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b8"
      "4"}},
    {{"", 32, "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"}},
};

// ---- Ferry's tokens (SPEC section 4), key version 1 --------------------------------------------
// Computed by an independent implementation of the SPEC; the keyring secret is the bytes
// 0x00..0x1f. Values are already normalised.

struct TokenVector {
  std::string_view domain;
  std::string_view value;
  std::string_view pseudonym;
  std::string_view hash;
};

inline constexpr std::string_view kTokenSecretBase64 =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
inline constexpr std::uint32_t kTokenKeyVersion = 1;

inline const std::vector<TokenVector> kSpecTokens = {
    {"user", "st-000123", "p1.AaQ62fixIZMOHc6ueZ0e0JH846J4sUzU-Q",
     "h1.eB0yxqm4DjeNaQBraK_w7blPfyebEmW0DVx08pJSoRQ"},
    {"name",
     "Ana Mar\xc3\xad"
     "a",
     "p1.08SXB9LPdTA2IF0hpaltTp-UQ6fmPqhsw04", "h1.yj9M5UP3iezUVhq03ELPz_WnCETZxCpiIAqdCz0GJoo"},
    {"email", "ana.maria@school.example",
     "p1.o5pmP4Zl5p5MqWT7JigV9bnltKXb06yQlt9NAEJJsd-u7AcaSzpx0Q",
     "h1.BAtqDnmQoj_Wiuat5clhQmSmlec0ijk0Hu1w3xw9cl8"},
};

}  // namespace ferry::test::known_answers
