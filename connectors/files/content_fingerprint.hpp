// The fingerprint of an export's content: SHA-256 over every file the connector reads, in the
// order it reads them (for OneRoster: the manifest, then the files it lists, in manifest order). A
// new export is noticed because its bytes differ, whatever its time stamps say; the same bytes
// again give the same fingerprint, and read() then hands over nothing.
//
// Each file enters as its name, a zero byte, its bytes, and its length as 8 bytes big-endian, so
// that moving bytes from one file to the next, or renaming a file, changes the fingerprint too.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <span>
#include <string>
#include <string_view>

#include "common/error/error.hpp"
#include "connectors/files/byte_source.hpp"

namespace ferry::connectors::files {

class ContentFingerprint {
 public:
  // Error kCrypto when OpenSSL offers no SHA-256.
  static Result<ContentFingerprint> create();

  ContentFingerprint(ContentFingerprint&&) noexcept;
  ContentFingerprint& operator=(ContentFingerprint&&) noexcept;
  ~ContentFingerprint();

  Result<void> begin_file(std::string_view name);
  Result<void> update(std::span<const char> bytes);
  Result<void> end_file();
  // begin_file, every byte of `bytes` until its end, end_file. False when `stop` came first.
  Result<bool> add_file(std::string_view name, ByteSource& bytes, const std::stop_token& stop);

  // The 64 lower-case hex digits of the digest. The object is spent afterwards.
  Result<std::string> finish();

 private:
  struct Digest;
  explicit ContentFingerprint(std::unique_ptr<Digest> digest);

  std::unique_ptr<Digest> digest_;
  std::uint64_t file_bytes_ = 0;
};

}  // namespace ferry::connectors::files
