// Inflating a gzip (or zlib) encoded HTTP body as it arrives, with a cap on what it inflates to:
// a small answer must not expand into gigabytes (a "zip bomb").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::http {

class Inflater {
 public:
  using Output = std::function<Result<void>(std::string_view piece)>;

  // Hands what it inflates to `output`, at most `max_bytes` in all.
  Inflater(std::uint64_t max_bytes, Output output);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  Result<void> write(std::string_view compressed);
  // The compressed stream must have ended (kCorrupt if it was cut short); an empty body is none.
  Result<void> finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::http
