#include "common/http/gzip.hpp"

#include <array>

#include <zlib.h>

namespace ferry::http {

struct Inflater::Impl {
  z_stream zs{};
  bool ready = false;
  bool ended = false;
  bool started = false;  // any compressed byte came
  std::uint64_t max_bytes = 0;
  std::uint64_t produced = 0;
  Output output;
  std::array<unsigned char, 64 * 1024> out{};
};

Inflater::Inflater(std::uint64_t max_bytes, Output output) : impl_(std::make_unique<Impl>()) {
  impl_->max_bytes = max_bytes;
  impl_->output = std::move(output);
  // 32 + 15: a gzip or a zlib header, detected; the largest window.
  impl_->ready = inflateInit2(&impl_->zs, 32 + 15) == Z_OK;
}

Inflater::~Inflater() {
  if (impl_->ready) inflateEnd(&impl_->zs);
}

Result<void> Inflater::write(std::string_view compressed) {
  Impl& s = *impl_;
  if (!s.ready) return make_error(ErrorCode::kInternal, "zlib could not be initialised");
  if (compressed.empty()) return {};
  s.started = true;
  if (s.ended) {
    return make_error(ErrorCode::kCorrupt, "the gzip body goes on after its end");
  }
  s.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  s.zs.avail_in = static_cast<uInt>(compressed.size());
  while (s.zs.avail_in > 0 && !s.ended) {
    s.zs.next_out = s.out.data();
    s.zs.avail_out = static_cast<uInt>(s.out.size());
    const int rc = inflate(&s.zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return make_error(ErrorCode::kCorrupt, "the gzip body does not inflate ({})",
                        s.zs.msg != nullptr ? s.zs.msg : "zlib error");
    }
    const std::size_t made = s.out.size() - s.zs.avail_out;
    s.produced += made;
    if (s.produced > s.max_bytes) {
      return make_error(ErrorCode::kCorrupt, "the gzip body inflates to more than {} bytes",
                        s.max_bytes);
    }
    if (made > 0) {
      auto handed = s.output(std::string_view(reinterpret_cast<const char*>(s.out.data()), made));
      if (!handed) return handed;
    }
    if (rc == Z_STREAM_END) s.ended = true;
    if (rc == Z_BUF_ERROR && made == 0) break;  // needs more input
  }
  if (s.ended && s.zs.avail_in > 0) {
    return make_error(ErrorCode::kCorrupt, "the gzip body goes on after its end");
  }
  return {};
}

Result<void> Inflater::finish() {
  // An empty body (a 204) says Content-Encoding: gzip of nothing: nothing to inflate.
  if (impl_->started && !impl_->ended) {
    return make_error(ErrorCode::kCorrupt, "the gzip body ends early");
  }
  return {};
}

}  // namespace ferry::http
