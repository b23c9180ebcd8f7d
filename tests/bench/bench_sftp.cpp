// SFTP download speed: Ferry's SftpClient next to OpenSSH's own `sftp` client, fetching the same
// file from the same OpenSSH sshd on 127.0.0.1 (tests/connectors/sftp/sshd_server.hpp), in one
// run, alternately. Each fetch includes connecting and logging in. Prints every fetch, the median
// of each client, and Ferry's median as a share of OpenSSH's (the goal: 50% or more), and this
// process's peak RSS (Ferry's downloads run in it; the file is written in 1 MiB pieces).
//
//   bench_sftp [MIB] [RUNS] [CHUNK_KIB] [IN_FLIGHT]     default 1024 MiB, 3 runs, 32 KiB, 64
//
// Needs what the SFTP tests need (root, openssh-server); tests/bench/bench_sftp.sh builds and
// runs it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "connectors/sftp/sftp_client.hpp"
#include "tests/connectors/sftp/sshd_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using ferry::connectors::sftp::ConnectOptions;
using ferry::connectors::sftp::ReadOptions;
using ferry::connectors::sftp::SftpClient;
using ferry::connectors::sftp::SshSession;
using ferry::test::SshdServer;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void make_file(const std::filesystem::path& path, std::uint64_t bytes) {
  std::mt19937_64 generator(42);
  std::vector<std::uint64_t> piece(128 * 1024);  // 1 MiB
  std::ofstream out(path, std::ios::binary);
  for (std::uint64_t written = 0; written < bytes; written += 8 * piece.size()) {
    for (auto& word : piece) word = generator();
    out.write(
        reinterpret_cast<const char*>(piece.data()),
        static_cast<std::streamsize>(std::min<std::uint64_t>(8 * piece.size(), bytes - written)));
  }
}

double ferry_fetch(SshdServer& server, const std::filesystem::path& key,
                   const std::filesystem::path& remote, const std::filesystem::path& local,
                   const ReadOptions& read) {
  const auto start = Clock::now();
  ConnectOptions options;
  options.endpoint = {.host = "127.0.0.1", .port = server.port(), .user = SshdServer::kUser};
  options.pin.fingerprint = server.host_key_fingerprint();
  options.credentials.private_key_file = key;
  options.service_dir = server.dir().path();
  auto session = SshSession::open(options);
  if (!session) throw std::runtime_error(session.error().message);
  auto client = SftpClient::open(std::move(*session), options.endpoint, read);
  if (!client) throw std::runtime_error(client.error().message);
  auto file = (*client)->stat(remote.string());
  if (!file || !*file) throw std::runtime_error("cannot stat " + remote.string());
  auto got = (*client)->download(**file, local);
  if (!got) throw std::runtime_error(got.error().message);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::filesystem::remove(local);
  return seconds;
}

double openssh_fetch(const SshdServer& server, const std::filesystem::path& key,
                     const std::filesystem::path& remote, const std::filesystem::path& local,
                     const std::vector<std::string>& tuning) {
  const auto batch = server.dir() / "batch";
  std::ofstream(batch) << "get " << remote.string() << " " << local.string() << "\n";
  std::vector<std::string> argv = {"/usr/bin/sftp",
                                   "-q",
                                   "-b",
                                   batch.string(),
                                   "-P",
                                   std::to_string(server.port()),
                                   "-i",
                                   key.string(),
                                   "-o",
                                   "IdentitiesOnly=yes",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "UserKnownHostsFile=" + (server.dir() / "known_hosts").string(),
                                   "-o",
                                   "GlobalKnownHostsFile=/dev/null",
                                   "-o",
                                   "StrictHostKeyChecking=yes"};
  argv.insert(argv.end(), tuning.begin(), tuning.end());
  argv.push_back(std::string(SshdServer::kUser) + "@127.0.0.1");
  const auto start = Clock::now();
  auto result = ferry::test::run_process(argv);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (result.exit_code != 0) throw std::runtime_error("sftp failed: " + result.err);
  std::filesystem::remove(local);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  ReadOptions read;
  if (argc > 3) read.chunk_bytes = static_cast<std::uint32_t>(std::atoi(argv[3])) * 1024;
  if (argc > 4) read.in_flight = static_cast<std::size_t>(std::atoi(argv[4]));
  if (auto why = SshdServer::unavailable()) {
    std::fprintf(stderr, "bench_sftp: cannot run: %s\n", why->c_str());
    return 2;
  }
  try {
    SshdServer server;
    ferry::test::TempDir local;
    const auto key = server.make_client_key("bench", /*authorized=*/true);
    server.dir().write("known_hosts", server.known_hosts_line());
    const auto remote = server.files() / "export.bin";
    make_file(remote, mib * 1024 * 1024);
    const double megabytes = static_cast<double>(mib) * 1.048576;
    std::printf(
        "file %llu MiB; Ferry reads %u KiB x %zu in flight; cipher: both clients' "
        "default\n",
        static_cast<unsigned long long>(mib), read.chunk_bytes / 1024, read.in_flight);
    // The same tuning for OpenSSH (its defaults: the server's 255 KiB reads, up to 64).
    const std::vector<std::string> alike = {"-B", std::to_string(read.chunk_bytes), "-R",
                                            std::to_string(read.in_flight)};
    std::vector<double> ferry_times, openssh_times, openssh_default_times;
    openssh_fetch(server, key, remote, local / "warm", {});  // the page cache
    for (int run = 0; run < runs; ++run) {
      ferry_times.push_back(ferry_fetch(server, key, remote, local / "ferry", read));
      openssh_times.push_back(openssh_fetch(server, key, remote, local / "openssh", alike));
      openssh_default_times.push_back(openssh_fetch(server, key, remote, local / "default", {}));
      std::printf(
          "run %d: ferry %.2f s (%.0f MB/s), sftp -B -R alike %.2f s (%.0f MB/s), sftp "
          "defaults %.2f s (%.0f MB/s)\n",
          run + 1, ferry_times.back(), megabytes / ferry_times.back(), openssh_times.back(),
          megabytes / openssh_times.back(), openssh_default_times.back(),
          megabytes / openssh_default_times.back());
    }
    const double ferry = median(ferry_times);
    const double openssh = median(openssh_times);
    const double openssh_default = median(openssh_default_times);
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    std::printf("median: ferry %.0f MB/s, sftp alike %.0f MB/s, sftp defaults %.0f MB/s\n",
                megabytes / ferry, megabytes / openssh, megabytes / openssh_default);
    std::printf("ferry / sftp alike: %.0f%%; ferry / sftp defaults: %.0f%% (goal: 50%% or more)\n",
                100.0 * openssh / ferry, 100.0 * openssh_default / ferry);
    std::printf("peak RSS of this process: %ld MiB\n", usage.ru_maxrss / 1024);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_sftp: %s\n", error.what());
    return 1;
  }
  return 0;
}
