// Device memory that is ordinary host memory, 64-byte aligned: the buffer type
// of every backend whose device is the CPU itself (reference, cpu).
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>

#include "backends/backend.h"

namespace neon {

class HostBuffer final : public Buffer {
 public:
  static constexpr size_t kAlignment = 64;

  HostBuffer(Backend& backend, size_t bytes)
      : Buffer(backend, bytes),
        data_(static_cast<std::byte*>(std::aligned_alloc(kAlignment, RoundUp(bytes)))) {
    if (data_ == nullptr) throw std::bad_alloc();
  }
  ~HostBuffer() override { std::free(data_); }

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }

  // The host pointer behind a buffer of a host-memory backend.
  static std::byte* Data(Buffer* buffer) { return static_cast<HostBuffer*>(buffer)->data(); }
  static const std::byte* Data(const Buffer* buffer) {
    return static_cast<const HostBuffer*>(buffer)->data();
  }

 private:
  static size_t RoundUp(size_t bytes) {
    size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    return rounded == 0 ? kAlignment : rounded;
  }
  std::byte* data_;
};

}  // namespace neon
