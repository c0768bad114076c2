// Sizes and memory on every backend usable here: sizes that overflow are
// ShapeErrors, allocations that cannot be satisfied are BackendErrors naming
// the backend, the tensor and the size, and a tensor whose backend is gone says
// so instead of touching freed device state.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "backends/registry.h"
#include "core/error.h"
#include "graph/expr.h"

#ifdef __SANITIZE_ADDRESS__
// ASan aborts on allocations beyond its limit by default; these tests need the null
// that malloc returns without it, to check that it becomes a BackendError.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif

namespace neon {
namespace {

class TensorMemoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> be_ = CreateBackend(GetParam());
};

// The message of the exception `body` throws as `Expected` ("" when it throws nothing).
template <typename Expected, typename Body>
std::string MessageOf(Body body) {
  try {
    body();
  } catch (const Expected& error) {
    return error.what();
  }
  return "";
}

TEST_P(TensorMemoryTest, ElementCountsThatOverflowAreShapeErrors) {
  // (2^62 - 1) float32 elements are 2^64 - 4 bytes: the byte size overflows.
  std::string message = MessageOf<ShapeError>([&] { empty(*be_, {(int64_t{1} << 62) - 1, 1}, DType::kFloat32, "big"); });
  EXPECT_NE(message.find("tensor 'big'"), std::string::npos) << message;
  EXPECT_NE(message.find("(4611686018427387903, 1)"), std::string::npos) << message;
  // 2^31 * 2^31 * 4 elements wrap to 0 in 64 bits.
  EXPECT_THROW(empty(*be_, {int64_t{1} << 31, int64_t{1} << 31, 4}), ShapeError);
  // A zero-sized tensor whose strides would overflow.
  EXPECT_THROW(empty(*be_, {0, int64_t{1} << 40, int64_t{1} << 40}), ShapeError);
  Tensor small = empty(*be_, {4, 6});
  EXPECT_THROW(small.reshape({int64_t{1} << 32, int64_t{1} << 32, 0}), ShapeError);
  EXPECT_THROW(small.reshape({-1, int64_t{1} << 40, int64_t{1} << 40}), ShapeError);
}

TEST_P(TensorMemoryTest, AnAllocationThatCannotBeSatisfiedNamesBackendTensorAndSize) {
  // 2^60 float32 elements: 2^62 bytes, a valid size no machine has.
  std::string message =
      MessageOf<BackendError>([&] { empty(*be_, {int64_t{1} << 40, int64_t{1} << 20}, DType::kFloat32, "huge"); });
  EXPECT_NE(message.find("tensor 'huge'"), std::string::npos) << message;
  EXPECT_NE(message.find("4611686018427387904 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("backend '" + be_->instance_name() + "'"), std::string::npos) << message;
}

TEST_P(TensorMemoryTest, BuffersLargerThanMemoryAreRefusedNotWrapped) {
  // Rounding SIZE_MAX up to the 64-byte alignment wrapped to a 64-byte allocation.
  EXPECT_THROW(be_->allocate(SIZE_MAX), BackendError);
  EXPECT_THROW(be_->allocate(SIZE_MAX - 10), BackendError);
}

TEST_P(TensorMemoryTest, ATensorWhoseBackendIsGoneSaysSo) {
  Tensor x = full(*be_, {3, 5}, 2.0, DType::kFloat32, "x");
  const std::string name = be_->instance_name();
  be_.reset();
  std::string message = MessageOf<BackendError>([&] { x.get<float>(); });
  EXPECT_NE(message.find("backend '" + name + "' was destroyed"), std::string::npos) << message;
  EXPECT_THROW(x.fill(1), BackendError);
  EXPECT_THROW(x.assign(x + 1), BackendError);
  x = Tensor();  // frees the buffer after its backend: must not crash
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TensorMemoryTest, ::testing::ValuesIn(AvailableBackends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace neon
