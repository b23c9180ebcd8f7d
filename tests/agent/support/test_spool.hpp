// The spool most agent tests start from: `path`, agent school-042 of tenant district-7, batches
// sealed to `tenant_public_key`, every other option at its default. Tests that need other options
// (a next tenant key, a size limit) set up spool::Options themselves.
#pragma once

#include <filesystem>
#include <memory>
#include <utility>

#include "agent/spool/spool.hpp"
#include "common/crypto/bytes.hpp"

namespace ferry::test {

inline std::unique_ptr<spool::Spool> open_test_spool(const std::filesystem::path& path,
                                                     const crypto::Bytes& tenant_public_key) {
  spool::Options options;
  options.path = path;
  options.agent_id = "school-042";
  options.tenant_id = "district-7";
  options.tenant_public_key = tenant_public_key;
  spool::OpenReport report;
  return std::move(spool::Spool::open(options, report).value());
}

}  // namespace ferry::test
