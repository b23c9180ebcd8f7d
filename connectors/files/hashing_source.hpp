// A ByteSource that passes another one through and feeds every byte to a ContentFingerprint, so
// that the fingerprint is computed in the same pass that parses the file.
#pragma once

#include "connectors/files/byte_source.hpp"
#include "connectors/files/content_fingerprint.hpp"

namespace ferry::connectors::files {

class HashingSource final : public ByteSource {
 public:
  // Borrows both; they must outlive this object.
  HashingSource(ByteSource& inner, ContentFingerprint& fingerprint)
      : inner_(inner), fingerprint_(fingerprint) {}

  Result<std::size_t> read(std::span<char> buffer) override {
    auto got = inner_.read(buffer);
    if (!got) return got;
    if (auto hashed = fingerprint_.update(buffer.first(*got)); !hashed) {
      return tl::unexpected(std::move(hashed.error()));
    }
    return got;
  }

 private:
  ByteSource& inner_;
  ContentFingerprint& fingerprint_;
};

}  // namespace ferry::connectors::files
