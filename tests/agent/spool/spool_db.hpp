// For the tests of the spool's parts: a fresh spool database (every table, as Spool::open makes
// it) in a temporary directory, and small helpers to fill and read it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "agent/spool/spool_schema.hpp"
#include "agent/spool/spool_types.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "common/sqlite/database.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::spool::test {

struct SpoolDb {
  ferry::test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  sqlite::Database db =
      sqlite::Database::open(dir / "spool.db", sqlite::Database::Mode::kReadWriteCreate).value();
  std::string spool_id = schema::create(db).value();

  // Options for a part: the sealing identity, and the room given.
  Options options(std::uint64_t max_bytes = 1024 * 1024,
                  config::WhenFull when_full = config::WhenFull::kPause) const {
    Options o;
    o.path = dir / "spool.db";
    o.agent_id = "school-042";
    o.tenant_id = "district-7";
    o.tenant_public_key = tenant.public_key;
    o.max_bytes = max_bytes;
    o.when_full = when_full;
    return o;
  }

  // The single integer a query returns.
  std::int64_t number(std::string_view sql) {
    auto select = db.prepare(sql).value();
    REQUIRE(select.step().value());
    return select.column_int(0);
  }
};

// A batch of `kind` carrying `text` (compressed) and `rows` rows.
inline NewBatch new_batch(std::string_view source, std::string_view text, std::uint64_t rows = 1,
                          std::string kind = "rows") {
  NewBatch batch;
  batch.kind = std::move(kind);
  batch.source = source;
  batch.stream = "users";
  batch.rows = rows;
  batch.key_version = 1;
  batch.compressed = frame::zstd_compress(text).value();
  return batch;
}

}  // namespace ferry::spool::test
