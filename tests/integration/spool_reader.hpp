// Reads a spool the way the tenant would: every stored frame, decrypted with the tenant's private
// key, split into rows. Opens spool.db read-only; call it only while no ferry process runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "common/crypto/bytes.hpp"
#include "common/frame/frame.hpp"

namespace ferry::test {

struct SpooledRow {
  std::uint64_t seq = 0;  // of the batch that carries it
  std::string stream;
  std::string op;              // "upsert" or "delete"
  boost::json::object fields;  // the row as sent, without "_op"
};

struct SpoolContents {
  std::vector<std::uint64_t> seqs;     // the `seq` column, in order
  std::vector<frame::Header> headers;  // one per batch, same order
  std::vector<SpooledRow> rows;        // every row of every batch, in spool order

  // The rows of one stream, optionally only those with `op`.
  std::vector<const SpooledRow*> of(std::string_view stream, std::string_view op = "") const;
};

// Decrypts every batch; fails the test (REQUIRE) on anything that does not open or parse.
SpoolContents read_spool(const std::filesystem::path& spool_db, crypto::ByteView private_key);

// Batches stored so far, and the source-wide part of the source's resume state (nullopt: none
// stored yet, which for a OneRoster export means no run got to its end): for tests that look at
// a spool between runs. 0 / nullopt when the file does not exist yet.
std::uint64_t count_batches(const std::filesystem::path& spool_db);
// The number of batches in the spool of a running agent, or nullopt when it cannot be read at
// this instant (no file or schema yet, or busy): for tests that watch progress.
std::optional<std::uint64_t> peek_batches(const std::filesystem::path& spool_db);
std::optional<std::string> stored_source_state(const std::filesystem::path& spool_db,
                                               std::string_view source);

// Checks (Catch CHECKs) that the spool holds every row of the ferry-gen-oneroster export in
// `export_dir` exactly once, as an upsert, in batches with seqs 1..N without a gap.
void check_each_row_once(const SpoolContents& spool, const std::filesystem::path& export_dir);

// The rows `source` spooled, by stream, in spool order.
std::map<std::string, std::vector<SpooledRow>> rows_by_stream(const SpoolContents& spool,
                                                              std::string_view source);

// A string field of a row ("" when absent or not a string).
std::string text_of(const SpooledRow& row, std::string_view column);

}  // namespace ferry::test
