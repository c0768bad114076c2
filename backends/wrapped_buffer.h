// The buffer of a backend that wraps another one (shadow validation, fault
// injection): the inner backend's buffer, presented as the wrapper's own, so
// tensors made on the wrapper send every call through it.
#pragma once

#include <memory>

#include "backends/backend.h"

namespace neon {

class WrappedBuffer final : public Buffer {
 public:
  WrappedBuffer(Backend& wrapper, std::shared_ptr<Buffer> inner)
      : Buffer(wrapper, inner->size_bytes()), inner_(std::move(inner)) {}

  // The inner buffer of a buffer of `wrapper`; any other buffer is returned as it is, for the
  // inner backend's ownership check to reject.
  static Buffer* Unwrap(const Backend& wrapper, const Buffer* buffer) {
    if (buffer != nullptr && &buffer->backend() == &wrapper) return static_cast<const WrappedBuffer*>(buffer)->inner_.get();
    return const_cast<Buffer*>(buffer);
  }

 private:
  std::shared_ptr<Buffer> inner_;
};

}  // namespace neon
