// The cpu backend's max pooling against the reference loops (host_ops::PoolFprop):
// the same outputs and argmax bit for bit, with ties, NaN, infinities and padding,
// on a batch that is not a multiple of the vector width.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/host_ops.h"
#include "backends/test_buffers.h"
#include "core/conv_args.h"

namespace neon {
namespace {

using test::Download;
using test::Upload;

// Values from {0, 1, 2} (ties in most windows), with NaN and infinities sprinkled in.
template <typename T>
std::vector<T> TiedValues(size_t count) {
  std::vector<T> values(count);
  for (size_t i = 0; i < count; ++i) values[i] = static_cast<T>((i * 7 + i / 5) % 3);
  for (size_t i = 3; i < count; i += 41) values[i] = std::numeric_limits<T>::quiet_NaN();
  for (size_t i = 11; i < count; i += 53) values[i] = std::numeric_limits<T>::infinity();
  for (size_t i = 17; i < count; i += 29) values[i] = -std::numeric_limits<T>::infinity();
  return values;
}

// 3 channels of h x 6, batch n, square windows.
PoolGeometry Geometry(int64_t window, int64_t stride, int64_t pad, int64_t h = 7, int64_t n = 13) {
  PoolGeometry g;
  g.n = n, g.c = 3, g.h = h, g.w = 6, g.r = g.s = window;
  g.stride_h = g.stride_w = stride;
  g.pad_h = g.pad_w = pad;
  g.p = ConvOutputSize(g.h, g.r, g.pad_h, g.stride_h, 1);
  g.q = ConvOutputSize(g.w, g.s, g.pad_w, g.stride_w, 1);
  return g;
}

template <typename T>
void ExpectMaxPoolMatchesReference(int64_t window, int64_t stride, int64_t pad, DType dtype, int64_t n = 13) {
  PoolGeometry g = Geometry(window, stride, pad, 7, n);
  const size_t in_count = static_cast<size_t>(g.c * g.h * g.w * g.n);
  const size_t out_count = static_cast<size_t>(g.c * g.p * g.q * g.n);
  std::vector<T> src = TiedValues<T>(in_count);
  std::vector<T> expected(out_count);
  std::vector<int32_t> expected_argmax(out_count);
  host_ops::PoolFprop<T>(PoolOp::kMax, g, src.data(), expected.data(), expected_argmax.data());

  CpuBackend be(2);
  std::shared_ptr<Buffer> src_buffer = Upload(be, src);
  std::shared_ptr<Buffer> dst_buffer = Upload(be, std::vector<T>(out_count, T(-7)));
  std::shared_ptr<Buffer> argmax_buffer = Upload(be, std::vector<int32_t>(out_count, -7));
  PoolArgs args;
  args.dtype = dtype;
  args.op = PoolOp::kMax;
  args.geometry = g;
  args.src = {src_buffer.get(), 0};
  args.dst = {dst_buffer.get(), 0};
  args.argmax = {argmax_buffer.get(), 0};
  be.pool_fprop(args);

  std::vector<T> dst = Download<T>(be, *dst_buffer, out_count);
  std::vector<int32_t> argmax = Download<int32_t>(be, *argmax_buffer, out_count);
  for (size_t i = 0; i < out_count; ++i) {
    ASSERT_EQ(std::memcmp(&dst[i], &expected[i], sizeof(T)), 0) << "output " << i << ": " << dst[i] << " vs "
                                                                << expected[i];
    ASSERT_EQ(argmax[i], expected_argmax[i]) << "argmax " << i;
  }
}

// Backward from argmax: the vectorised loops give the reference's bits, for windows that
// tile the input (written once) and for overlapping or padded ones (accumulated).
template <typename T>
void ExpectMaxPoolBpropMatchesReference(int64_t window, int64_t stride, int64_t pad, int64_t h, DType dtype,
                                        int64_t n = 13) {
  PoolGeometry g = Geometry(window, stride, pad, h, n);
  const size_t in_count = static_cast<size_t>(g.c * g.h * g.w * g.n);
  const size_t out_count = static_cast<size_t>(g.c * g.p * g.q * g.n);
  std::vector<T> src = TiedValues<T>(in_count), pooled(out_count);
  std::vector<int32_t> argmax(out_count);
  host_ops::PoolFprop<T>(PoolOp::kMax, g, src.data(), pooled.data(), argmax.data());
  std::vector<T> error = TiedValues<T>(out_count);
  for (size_t i = 5; i < out_count; i += 7) error[i] = T(-0.0);  // -0.0 must come out as the reference's +0.0
  std::vector<T> expected(in_count);
  host_ops::PoolBprop<T>(PoolOp::kMax, g, error.data(), argmax.data(), expected.data());

  CpuBackend be(2);
  std::shared_ptr<Buffer> error_buffer = Upload(be, error);
  std::shared_ptr<Buffer> argmax_buffer = Upload(be, argmax);
  std::shared_ptr<Buffer> grad_buffer = Upload(be, std::vector<T>(in_count, T(-7)));
  PoolArgs args;
  args.dtype = dtype;
  args.op = PoolOp::kMax;
  args.geometry = g;
  args.src = {grad_buffer.get(), 0};
  args.dst = {error_buffer.get(), 0};
  args.argmax = {argmax_buffer.get(), 0};
  be.pool_bprop(args);
  std::vector<T> grad = Download<T>(be, *grad_buffer, in_count);
  for (size_t i = 0; i < in_count; ++i) {
    ASSERT_EQ(std::memcmp(&grad[i], &expected[i], sizeof(T)), 0) << "window " << window << " stride " << stride
                                                                 << " input gradient " << i << ": " << grad[i]
                                                                 << " vs " << expected[i];
  }
}

TEST(CpuPoolTest, MaxPoolingBackwardMatchesReference) {
  ExpectMaxPoolBpropMatchesReference<float>(2, 2, 0, 8, DType::kFloat32);  // tiles the 8 x 6 input
  ExpectMaxPoolBpropMatchesReference<float>(2, 2, 0, 7, DType::kFloat32);  // leaves the last row out
  ExpectMaxPoolBpropMatchesReference<float>(3, 2, 1, 7, DType::kFloat32);  // overlapping, padded
  ExpectMaxPoolBpropMatchesReference<float>(3, 1, 2, 7, DType::kFloat32);
  ExpectMaxPoolBpropMatchesReference<double>(2, 2, 0, 8, DType::kFloat64);
  ExpectMaxPoolBpropMatchesReference<double>(3, 2, 1, 7, DType::kFloat64);
  // Batch 16 and 8 run the loops compiled for the device layout's 16 or 8 lanes.
  for (int64_t lanes : {16, 8}) {
    ExpectMaxPoolBpropMatchesReference<float>(2, 2, 0, 8, DType::kFloat32, lanes);
    ExpectMaxPoolBpropMatchesReference<float>(3, 2, 1, 7, DType::kFloat32, lanes);
  }
}

TEST(CpuPoolTest, MaxPoolingMatchesReferenceFloat32) {
  ExpectMaxPoolMatchesReference<float>(2, 2, 0, DType::kFloat32);
  ExpectMaxPoolMatchesReference<float>(3, 2, 1, DType::kFloat32);
  ExpectMaxPoolMatchesReference<float>(3, 1, 2, DType::kFloat32);
  for (int64_t lanes : {16, 8}) {  // the device layout's loops
    ExpectMaxPoolMatchesReference<float>(2, 2, 0, DType::kFloat32, lanes);
    ExpectMaxPoolMatchesReference<float>(3, 2, 1, DType::kFloat32, lanes);
  }
}

TEST(CpuPoolTest, MaxPoolingMatchesReferenceFloat64) {
  ExpectMaxPoolMatchesReference<double>(2, 2, 0, DType::kFloat64);
  ExpectMaxPoolMatchesReference<double>(3, 2, 1, DType::kFloat64);
}

}  // namespace
}  // namespace neon
