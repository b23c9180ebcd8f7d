// Byte buffers shared by the crypto code. SecureBytes wipes its memory when it is freed or
// reallocated, so key material does not linger on the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace ferry::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Overwrites memory in a way the optimiser cannot remove (OPENSSL_cleanse).
void secure_wipe(void* data, std::size_t size) noexcept;

// True when `a` and `b` hold the same bytes. The time taken depends only on the sizes, never on
// where the contents differ (CRYPTO_memcmp): use it for MACs, tags and tokens.
bool constant_time_equal(ByteView a, ByteView b) noexcept;

template <class T>
struct ZeroizingAllocator {
  using value_type = T;
  ZeroizingAllocator() noexcept = default;
  template <class U>
  ZeroizingAllocator(const ZeroizingAllocator<U>& /*other*/) noexcept {}  // NOLINT
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const ZeroizingAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};

using SecureBytes = std::vector<std::uint8_t, ZeroizingAllocator<std::uint8_t>>;

inline ByteView as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::string_view as_chars(ByteView bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace ferry::crypto
