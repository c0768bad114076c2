// A device's limit on kernel argument bytes (CL_DEVICE_MAX_PARAMETER_SIZE) reaches the
// compiler: on an OpenCL device that reports the embedded-profile minimum of 256 bytes, a
// tree reading more tensors than one kernel can take is split into several kernels and
// still computes what `reference` does; a tree within the limit stays one kernel.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/opencl/opencl_backend.h"
#include "backends/reference/reference_backend.h"
#include "graph/compile.h"
#include "graph/expr.h"
#include "graph/random_stream.h"

namespace neon {
namespace {

std::unique_ptr<OpenCLBackend> SmallDevice(size_t max_parameter_bytes) {
  OpenCLOptions options;
  options.cache_dir = "";  // no disk cache: nothing shared with other tests
  options.max_parameter_bytes = max_parameter_bytes;
  return std::make_unique<OpenCLBackend>(options);
}

// Kernels of the plan for out.assign(value), compiled for `be`'s input limit.
std::vector<size_t> KernelWidths(const Expr& value, const Tensor& out, const Backend& be) {
  BindingIndex index;
  Binding binding = Bind(value, out, &index);
  std::vector<size_t> widths;
  for (const auto& stage : Compile(value, out, binding, index, be.max_kernel_inputs()).stages) {
    widths.push_back(std::get<KernelStage>(stage).inputs.size());
  }
  return widths;
}

// leaf0 * 1 + leaf1 * 2 + ... over `count` leaves of random values, on `be`.
std::vector<float> WeightedSum(Backend& be, int count) {
  SetSeed(be, 42);
  std::vector<Tensor> leaves;
  Expr total = 0.0;
  for (int i = 0; i < count; ++i) {
    leaves.push_back(empty(be, {7, 9}));
    leaves.back().assign(rand() - 0.5);
    total = i == 0 ? leaves[0] * 1.0 : total + leaves[i] * static_cast<double>(i + 1);
  }
  Tensor out = empty(be, {7, 9});
  out.assign(total);
  return out.get<float>();
}

// Normalised mean squared error of `got` against `want`.
double Nmse(const std::vector<float>& got, const std::vector<float>& want) {
  double error = 0.0, norm = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    error += (got[i] - want[i]) * static_cast<double>(got[i] - want[i]);
    norm += want[i] * static_cast<double>(want[i]);
  }
  return error / norm;
}

TEST(KernelArgumentLimit, TheDeviceLimitBecomesAnInputLimit) {
  // 256 bytes less 88 fixed ones (meta, reals, dst and an all-axes argmax's arguments): 21 pointers.
  EXPECT_EQ(SmallDevice(256)->max_kernel_inputs(), 21);
  EXPECT_EQ(SmallDevice(1024)->max_kernel_inputs(), 117);
}

TEST(KernelArgumentLimit, AWideTreeIsSplitOnASmallDeviceAndMatchesReference) {
  std::unique_ptr<OpenCLBackend> small = SmallDevice(256);
  std::unique_ptr<Backend> reference = MakeReferenceBackend();
  std::vector<Tensor> leaves;
  Expr total = 0.0;
  for (int i = 0; i < 40; ++i) {
    leaves.push_back(empty(*small, {7, 9}));
    total = i == 0 ? Expr(leaves[0]) : total + leaves[i];
  }
  std::vector<size_t> widths = KernelWidths(total, empty(*small, {7, 9}), *small);
  EXPECT_GT(widths.size(), 1u);
  for (size_t width : widths) EXPECT_LE(width, 21u);
  // Philox draws are identical on every backend, so both see the same leaves.
  std::vector<float> want = WeightedSum(*reference, 40);
  std::vector<float> got = WeightedSum(*small, 40);
  EXPECT_LT(Nmse(got, want), 1e-7);
}

TEST(KernelArgumentLimit, ATreeWithinTheLimitIsOneKernel) {
  std::unique_ptr<OpenCLBackend> small = SmallDevice(256);
  std::vector<Tensor> leaves;
  Expr total = 0.0;
  for (int i = 0; i < 21; ++i) {
    leaves.push_back(empty(*small, {7, 9}));
    total = i == 0 ? Expr(leaves[0]) : total + leaves[i];
  }
  EXPECT_EQ(KernelWidths(total, empty(*small, {7, 9}), *small), std::vector<size_t>{21});
}

}  // namespace
}  // namespace neon
