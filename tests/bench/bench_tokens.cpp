// Token throughput on one core: pseudonymize and hash of a 36-byte value (a UUID string),
// including base64url and appending to a reused std::string, plus the primitives underneath for
// context. Not a test: run it from a release build (tests/bench/run_bench_tokens.sh).
//
//   bench_tokens [seconds per figure, default 1]
//
// Prints one line per figure: "<name>: <rate> M/s (<ns> ns/op)".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <sched.h>

#include "common/crypto/aes_siv.hpp"
#include "common/crypto/base64.hpp"
#include "common/crypto/cmac.hpp"
#include "common/crypto/hkdf.hpp"
#include "common/crypto/hmac.hpp"
#include "common/crypto/tokens.hpp"

namespace {

using namespace ferry::crypto;

constexpr double kPseudonymizeTarget = 2.0;  // M tokens/s, one core
constexpr double kHashTarget = 3.0;

// Keeps results alive so the optimiser cannot drop the work.
volatile std::size_t g_sink = 0;

// 1024 distinct UUID strings, so no two consecutive calls see the same value.
std::vector<std::string> make_values() {
  std::vector<std::string> values;
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 1024; ++i) {
    char text[40];
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const std::uint64_t y = x * 0x2545f4914f6cdd1dULL;
    std::snprintf(text, sizeof(text), "%08x-%04x-4%03x-a%03x-%012llx",
                  static_cast<unsigned>(x >> 32), static_cast<unsigned>(x & 0xffff),
                  static_cast<unsigned>(y & 0xfff), static_cast<unsigned>((y >> 12) & 0xfff),
                  static_cast<unsigned long long>((y >> 16) & 0xffffffffffffULL));
    values.emplace_back(text);
  }
  return values;
}

// Runs `op(i)` in batches of 20000 until `seconds` have passed; returns the median batch's ns per
// op (the median, not the best, so a figure is what a loaded machine sustains, not a lucky burst).
template <class Op>
double measure(double seconds, Op&& op) {
  using Clock = std::chrono::steady_clock;
  constexpr int kBatch = 20000;
  for (int i = 0; i < kBatch; ++i) op(i);  // warm-up: caches, branch predictors, allocator
  std::vector<double> batches;
  const auto stop = Clock::now() + std::chrono::duration<double>(seconds);
  do {
    const auto start = Clock::now();
    for (int i = 0; i < kBatch; ++i) op(i);
    batches.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
                      kBatch);
  } while (Clock::now() < stop);
  std::nth_element(batches.begin(), batches.begin() + batches.size() / 2, batches.end());
  return batches[batches.size() / 2];
}

void report(const char* name, double ns, double target = 0) {
  const double rate = 1000.0 / ns;
  if (target > 0) {
    std::printf("%-48s %7.2f M/s (%6.1f ns/op)  target %.1f M/s: %s\n", name, rate, ns, target,
                rate >= target ? "met" : "MISSED");
  } else {
    std::printf("%-48s %7.2f M/s (%6.1f ns/op)\n", name, rate, ns);
  }
  std::fflush(stdout);
}

[[noreturn]] void die(const char* what, const ferry::Error& error) {
  std::fprintf(stderr, "bench_tokens: %s: %s\n", what, error.message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  // One core: pin to whichever CPU we start on, so figures are per core and stable.
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(sched_getcpu(), &set);
  sched_setaffinity(0, sizeof(set), &set);

  const auto values = make_values();
  const auto value = [&](int i) { return as_bytes(values[static_cast<std::size_t>(i) & 1023]); };
  std::vector<std::uint8_t> secret(32);
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(i);

  auto pseudonymizer = Pseudonymizer::create(secret, 1, "user");
  if (!pseudonymizer) die("Pseudonymizer::create", pseudonymizer.error());
  auto hasher = Hasher::create(secret, 1, "user");
  if (!hasher) die("Hasher::create", hasher.error());

  std::printf(
      "bench_tokens: one core, %zu-byte values, median of 20000-op batches over %.1f s per "
      "figure\n",
      values[0].size(), seconds);
  std::string out;
  out.reserve(256);

  report("pseudonymize (36-byte value, p1.<b64url>)",
         measure(seconds,
                 [&](int i) {
                   out.clear();
                   if (!pseudonymizer->pseudonymize(as_chars(value(i)), out)) std::abort();
                   g_sink = g_sink + out.size();
                 }),
         kPseudonymizeTarget);
  report("hash (36-byte value, h1.<b64url>)",
         measure(seconds,
                 [&](int i) {
                   out.clear();
                   if (!hasher->hash(as_chars(value(i)), out)) std::abort();
                   g_sink = g_sink + out.size();
                 }),
         kHashTarget);

  // Reveal, for context: base64url decode + AES-SIV decrypt + one std::string.
  std::vector<std::string> tokens;
  for (int i = 0; i < 1024; ++i) {
    std::string token;
    if (!pseudonymizer->pseudonymize(as_chars(value(i)), token)) std::abort();
    tokens.push_back(std::move(token));
  }
  report("reveal (pseudonym of a 36-byte value)", measure(seconds, [&](int i) {
           auto revealed = pseudonymizer->reveal(tokens[static_cast<std::size_t>(i) & 1023]);
           if (!revealed) std::abort();
           g_sink = g_sink + revealed->size();
         }));

  // The primitives underneath.
  std::vector<std::uint8_t> siv_key(64, 7);
  auto siv = AesSiv::create(siv_key);
  if (!siv) die("AesSiv::create", siv.error());
  std::uint8_t sealed[36 + 16];
  report("  AES-SIV-512 encrypt, 36 bytes, no AD", measure(seconds, [&](int i) {
           if (!siv->encrypt({}, value(i), sealed)) std::abort();
           g_sink = g_sink + sealed[0];
         }));
  auto cmac = AesCmac::create(ByteView(siv_key).first(32));
  if (!cmac) die("AesCmac::create", cmac.error());
  report("  AES-256-CMAC, 36 bytes", measure(seconds, [&](int i) {
           auto mac = cmac->mac(value(i));
           if (!mac) std::abort();
           g_sink = g_sink + (*mac)[0];
         }));
  auto hmac = HmacSha256::create(secret);
  if (!hmac) die("HmacSha256::create", hmac.error());
  report("  HMAC-SHA256, 36 bytes", measure(seconds, [&](int i) {
           auto mac = hmac->mac(value(i));
           if (!mac) std::abort();
           g_sink = g_sink + (*mac)[0];
         }));
  report("  base64url of 52 bytes, appended", measure(seconds, [&](int) {
           out.clear();
           base64url_encode_append(ByteView(sealed, sizeof(sealed)), out);
           g_sink = g_sink + out.size();
         }));

  // What OpenSSL's own AES-256-SIV costs, re-keyed per call as its API requires for S2V reuse.
  EVP_CIPHER* evp_siv = EVP_CIPHER_fetch(nullptr, "AES-256-SIV", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (evp_siv != nullptr && ctx != nullptr) {
    report(
        "  OpenSSL EVP AES-256-SIV (re-keyed), 36 bytes", measure(seconds / 2, [&](int i) {
          int n = 0;
          const ByteView v = value(i);
          if (EVP_EncryptInit_ex2(ctx, evp_siv, siv_key.data(), nullptr, nullptr) != 1 ||
              EVP_EncryptUpdate(ctx, sealed + 16, &n, v.data(), static_cast<int>(v.size())) != 1 ||
              EVP_EncryptFinal_ex(ctx, sealed + 16 + n, &n) != 1) {
            std::abort();
          }
          g_sink = g_sink + sealed[16];
        }));
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(evp_siv);

  report("  token set-up (HKDF + AES-SIV keying), per domain", measure(seconds / 4, [&](int) {
           auto made = Pseudonymizer::create(secret, 1, "user");
           if (!made) std::abort();
         }));
  return 0;
}
