#include "tests/fault/spool_ledger.hpp"

#include <random>

#include <fmt/format.h>

#include "common/frame/frame.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::test {
namespace {

constexpr std::string_view kSource = "sis";
constexpr std::string_view kStream = "users";

std::array<std::uint8_t, 16> digest_of(std::uint64_t n) {
  std::array<std::uint8_t, 16> digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    digest[i] = static_cast<std::uint8_t>((n >> (8 * (i % 8))) ^ i);
  }
  return digest;
}

std::string key_of(std::uint64_t n) { return fmt::format("k{:08}", n); }

}  // namespace

spool::Options ledger_spool_options(const std::filesystem::path& folder,
                                    const crypto::Bytes& tenant_public_key) {
  spool::Options options;
  options.path = folder / "spool.db";
  options.agent_id = "school-042";
  options.tenant_id = "district-7";
  options.tenant_public_key = tenant_public_key;
  return options;
}

std::string integrity_of(const std::filesystem::path& database) {
  auto db = sqlite::Database::open(database, sqlite::Database::Mode::kReadWrite);
  if (!db) return db.error().message;
  auto check = db->prepare("PRAGMA integrity_check");
  if (!check) return check.error().message;
  auto row = check->step();
  if (!row || !*row) return "no answer";
  return std::string(check->column_text(0));
}

std::string SpoolLedger::rows_of(std::uint64_t n) {
  std::mt19937_64 random(n);
  std::string rows;
  for (int row = 0; row < 12; ++row) {
    rows += fmt::format("{{\"n\":{},\"row\":{},\"payload\":\"{:016x}{:016x}{:016x}{:016x}\"}}\n", n,
                        row, random(), random(), random(), random());
  }
  return rows;
}

bool SpoolLedger::write(spool::Spool& spool, int steps) {
  for (int step = 0; step < steps; ++step) {
    const std::uint64_t n = next_n_;
    spool::Commit commit;
    commit.source = std::string(kSource);
    spool::NewBatch batch;
    batch.source = commit.source;
    batch.stream = std::string(kStream);
    batch.rows = 12;
    batch.key_version = 1;
    batch.compressed = frame::zstd_compress(rows_of(n)).value();
    commit.batches.push_back(std::move(batch));
    commit.digests.push_back(spool::DigestUpdate{std::string(kStream), key_of(n), digest_of(n)});
    commit.state = std::to_string(n);
    in_flight_ = n;
    auto seqs = spool.commit(commit);
    if (!seqs) {
      last_error_ = seqs.error().message;
      return false;
    }
    in_flight_.reset();
    ++next_n_;
    ++acknowledged_commits_;
    state_ = n;
    for (const auto seq : *seqs) {
      held_[seq] = n;
      max_seq_ = std::max(max_seq_, seq);
    }
    // A tenant acks about as fast as batches come: the spool stays small however long it runs.
    if ((step % 3 == 2 || held_.size() > 16) && !ack_oldest(spool)) return false;
  }
  return true;
}

bool SpoolLedger::ack_oldest(spool::Spool& spool) {
  if (held_.empty()) return true;
  const std::uint64_t oldest = held_.begin()->first;
  ack_in_flight_ = oldest;
  if (auto acked = spool.ack(oldest); !acked) {
    last_error_ = acked.error().message;
    return false;
  }
  ack_in_flight_.reset();
  held_.erase(oldest);
  acked_.insert(oldest);
  return true;
}

std::vector<std::string> SpoolLedger::check(spool::Spool& spool) {
  std::vector<std::string> problems;
  auto pending = spool.pending(0, 1'000'000);
  if (!pending) return {"the spool cannot list its batches: " + pending.error().message};
  std::map<std::uint64_t, std::uint64_t> found;  // seq -> n
  for (const auto& batch : *pending) {
    auto opened = frame::open(batch.frame, private_key_);
    if (!opened) {
      problems.push_back(
          fmt::format("batch {} does not open: {}", batch.seq, opened.error().message));
      continue;
    }
    const std::string_view text(reinterpret_cast<const char*>(opened->plaintext.data()),
                                opened->plaintext.size());
    std::uint64_t n = 0;
    if (text.starts_with("{\"n\":")) n = std::stoull(std::string(text.substr(5, 20)));
    if (text != rows_of(n)) {
      problems.push_back(fmt::format("batch {} holds rows no commit wrote", batch.seq));
      continue;
    }
    found[batch.seq] = n;
  }
  // What the in-flight commit left: all of it (batch, state, digest) or nothing.
  bool in_flight_landed = false;
  for (const auto& [seq, n] : found) {
    if (auto held = held_.find(seq); held != held_.end()) {
      if (held->second != n) {
        problems.push_back(
            fmt::format("seq {} was given twice: to commit {}, then to {}", seq, held->second, n));
      }
    } else if (in_flight_ && n == *in_flight_ && seq > max_seq_) {
      in_flight_landed = true;
    } else if (acked_.contains(seq)) {
      problems.push_back(fmt::format("batch {} came back after its ack", seq));
    } else if (!(ack_in_flight_ && *ack_in_flight_ == seq)) {
      problems.push_back(fmt::format("batch {} (commit {}) was never acknowledged", seq, n));
    }
  }
  for (const auto& [seq, n] : held_) {
    if (!found.contains(seq)) {
      problems.push_back(fmt::format("batch {} of acknowledged commit {} was lost", seq, n));
    }
  }
  auto state = spool.source_state(kSource);
  const std::string expected = std::to_string(in_flight_landed ? *in_flight_ : state_);
  if (!state) {
    problems.push_back("the source state cannot be read: " + state.error().message);
  } else if (state_ > 0 || in_flight_landed) {
    if (!*state) {
      problems.push_back(fmt::format("the source state of commit {} was lost", expected));
    } else if (**state != expected) {
      problems.push_back(fmt::format("the source state is \"{}\", not \"{}\"", **state, expected));
    }
  }
  if (auto merged = spool.merge_digests(kSource); !merged) {
    problems.push_back("the digests cannot be merged: " + merged.error().message);
  } else {
    const std::uint64_t last = in_flight_landed ? *in_flight_ : state_;
    for (std::uint64_t n : {last, last > 1 ? last - 1 : 0}) {
      if (n == 0) continue;
      auto digest = spool.digest(kSource, kStream, key_of(n));
      if (!digest || !*digest || **digest != digest_of(n)) {
        problems.push_back(fmt::format("the digest of commit {} was lost", n));
      }
    }
  }
  auto stats = spool.stats();
  if (stats && stats->next_seq <= max_seq_) {
    problems.push_back(fmt::format("the next seq is {}, at or below seq {} already given",
                                   stats->next_seq, max_seq_));
  }
  // From here on the ledger is what the spool holds.
  if (in_flight_landed) {
    for (const auto& [seq, n] : found) {
      if (n == *in_flight_) {
        held_[seq] = n;
        max_seq_ = std::max(max_seq_, seq);
      }
    }
    state_ = *in_flight_;
    ++acknowledged_commits_;
    next_n_ = *in_flight_ + 1;
  }
  in_flight_.reset();
  if (ack_in_flight_) {
    if (!found.contains(*ack_in_flight_)) {
      held_.erase(*ack_in_flight_);
      acked_.insert(*ack_in_flight_);
    }
    ack_in_flight_.reset();
  }
  if (!problems.empty()) {
    // Follow the spool, so that a negative control can go on counting.
    held_ = found;
    for (const auto& [seq, n] : found) max_seq_ = std::max(max_seq_, seq);
    if (state && *state) state_ = std::stoull(**state);
    next_n_ = std::max(next_n_, state_ + 1);
  }
  return problems;
}

}  // namespace ferry::test
