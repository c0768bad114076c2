// Host <-> device copies for tests that call a backend's ops on raw buffers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include "backends/backend.h"

namespace neon::test {

// A new buffer on `backend` holding `values`.
template <typename T>
std::shared_ptr<Buffer> Upload(Backend& backend, const std::vector<T>& values) {
  std::shared_ptr<Buffer> buffer = backend.allocate(values.size() * sizeof(T));
  backend.copy_in(*buffer, 0, values.data(), values.size() * sizeof(T));
  return buffer;
}

// The first `count` elements of `buffer` (all of them by default) as T.
template <typename T>
std::vector<T> Download(Backend& backend, const Buffer& buffer, size_t count = std::numeric_limits<size_t>::max()) {
  std::vector<T> values(std::min(count, buffer.size_bytes() / sizeof(T)));
  backend.copy_out(buffer, 0, values.data(), values.size() * sizeof(T));
  return values;
}

}  // namespace neon::test
