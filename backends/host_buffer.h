// Device memory that is ordinary host memory, 64-byte aligned: the buffer type
// of every backend whose device is the CPU itself (reference, cpu).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backends/backend.h"
#include "core/error.h"

namespace neon {

class HostBuffer final : public Buffer {
 public:
  static constexpr size_t kAlignment = 64;

  // BackendError naming the backend and the size when host memory cannot hold `bytes`.
  HostBuffer(Backend& backend, size_t bytes) : Buffer(backend, bytes), data_(Allocate(backend, bytes)) {}
  ~HostBuffer() override { std::free(data_); }

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }

  // The host pointer behind a buffer of a host-memory backend.
  static std::byte* Data(Buffer* buffer) { return static_cast<HostBuffer*>(buffer)->data(); }
  static const std::byte* Data(const Buffer* buffer) {
    return static_cast<const HostBuffer*>(buffer)->data();
  }

 private:
  static std::byte* Allocate(Backend& backend, size_t bytes) {
    // aligned_alloc wants a multiple of the alignment; rounding up must not wrap.
    const size_t rounded = std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
    void* data = bytes > SIZE_MAX - kAlignment ? nullptr : std::aligned_alloc(kAlignment, rounded);
    if (data == nullptr) {
      throw BackendError("backend '" + backend.instance_name() + "' cannot allocate " + std::to_string(bytes) +
                         " bytes of host memory");
    }
    return static_cast<std::byte*>(data);
  }
  std::byte* data_;
};

}  // namespace neon
