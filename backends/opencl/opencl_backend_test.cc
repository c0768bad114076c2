// The OpenCL backend against plain double loops over core/scalar_ops.h:
// every elementwise op, reductions on each axis with epilogues, strided and
// broadcast operands, packed arguments, GEMM, random fills, copies, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "backends/opencl/opencl_test_util.h"
#include "core/error.h"

namespace neon {
namespace {

using opencl_test::Download;
using opencl_test::DownloadAs;
using opencl_test::MakeOperand;
using opencl_test::Operand;
using opencl_test::RandomValues;
using opencl_test::UploadAs;
using opencl_test::ExpectClose;
using opencl_test::HostInput;
using opencl_test::ReferenceRun;
using opencl_test::SharedBackend;
using opencl_test::Upload;

constexpr double kNmse = 1e-7;

std::vector<double> Specials() {
  return {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.7, -3.7, 1e-30, 1e-23, 100.0, -100.0,
          INFINITY, -INFINITY, NAN, 1e30, -1e30, 7.0};
}

// Runs `k` on the device and on the host; compares the whole output buffer
// (untouched positions keep their sentinel).
void RunAndCompare(Backend& be, const FusedKernel& k, const std::vector<Operand>& operands,
                   const std::vector<double>& params, int64_t rows, int64_t cols, const std::string& what,
                   double limit = kNmse, bool padded_output = true) {
  const int axis = k.reduce_axis;
  const int64_t out_rows = k.has_reduction && axis != 1 ? 1 : rows;
  const int64_t out_cols = k.has_reduction && axis != 0 ? 1 : cols;
  // Output: a strided view with a gap column, sentinel everywhere else.
  const int64_t out_stride = out_cols + (padded_output ? 1 : 0);
  std::vector<double> out_init(out_rows * out_stride + 1, -777.0);
  std::shared_ptr<Buffer> out = UploadAs(be, out_init, k.output_dtype);
  KernelArgs args;
  args.rows = rows;
  args.cols = cols;
  std::vector<HostInput> hosts;
  for (const Operand& op : operands) {
    args.inputs.push_back({op.buffer.get(), op.host.offset, op.host.row_stride, op.host.col_stride, op.dtype});
    hosts.push_back(op.host);
  }
  args.output = {out.get(), 1, out_stride, 1, k.output_dtype};
  args.params = params;
  be.run(k, args);
  std::vector<double> got_all = DownloadAs(be, *out, k.output_dtype);
  std::vector<double> want = opencl_test::AsStored(ReferenceRun(k, hosts, params, rows, cols), k.output_dtype);
  std::vector<double> got;
  for (int64_t e = 0; e < static_cast<int64_t>(got_all.size()); ++e) {
    const int64_t pos = e - 1;
    const bool inside = pos >= 0 && pos / out_stride < out_rows && pos % out_stride < out_cols;
    if (inside) {
      got.push_back(got_all[e]);
    } else {
      EXPECT_EQ(got_all[e], -777.0) << what << ": wrote outside the output view at element " << e;
    }
  }
  ExpectClose(got, want, limit, what);
}

FusedKernel Elementwise(DType dtype, int inputs, std::vector<Instr> body, int params = 0) {
  FusedKernel k;
  k.input_dtypes.assign(inputs, dtype);
  k.num_params = params;
  k.compute_dtype = dtype == DType::kFloat32 ? DType::kFloat32 : DType::kFloat64;
  k.output_dtype = dtype;
  k.body = std::move(body);
  return k;
}

// A second backend that uses work-group tree reductions even on a CPU device
// (the path GPUs take), so both reduction strategies are tested here.
OpenCLBackend& TreeBackend() {
  static OpenCLBackend* backend = [] {
    OpenCLOptions options;
    options.cache_dir = opencl_test::TempDir("neon-opencl-shared-cache");
    options.force_tree_reductions = true;
    return new OpenCLBackend(options);
  }();
  return *backend;
}

TEST(OpenCLDevices, ListsThePoclDevice) {
  std::vector<DeviceInfo> devices = ListOpenCLDevices();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(devices[0].name, "opencl:0");
  EXPECT_EQ(devices[0].kind, "opencl");
  EXPECT_GT(devices[0].memory_bytes, 0u);
  EXPECT_GT(devices[0].compute_units, 0);
  EXPECT_NE(devices[0].description.find("OpenCL"), std::string::npos) << devices[0].description;
  EXPECT_EQ(SharedBackend().info().name, "opencl:0");
}

TEST(OpenCLDevices, SelectionErrors) {
  std::vector<opencl::DeviceRecord> devices = opencl::EnumerateDevices();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(&opencl::SelectDevice(devices, -1), &devices[0]);
  try {
    opencl::SelectDevice(devices, 7);
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("devices: opencl:0 ("), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);  // one line for the CLI
  }
  EXPECT_THROW(MakeOpenCLBackend(99), ArgumentError);
  try {
    opencl::SelectDevice({}, -1);
    FAIL() << "expected BackendError";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("pocl-opencl-icd"), std::string::npos) << e.what();
  }
}

TEST(OpenCLBackend, EveryUnaryOpFloat32) {
  Backend& be = SharedBackend();
  std::vector<double> values = Specials();
  std::vector<double> more = RandomValues(236, -8, 8, 1);
  values.insert(values.end(), more.begin(), more.end());
  Operand x = MakeOperand(be, values, DType::kFloat32, 0, 16, 1);
  for (int op = 0; op < kNumOpKinds; ++op) {
    OpKind kind = static_cast<OpKind>(op);
    if (ClassOf(kind) != OpClass::kUnary) continue;
    FusedKernel k = Elementwise(DType::kFloat32, 1, {{OpKind::kTensor, -1, -1, 0}, {kind, 0}});
    RunAndCompare(be, k, {x}, {}, 16, 16, std::string(OpName(kind)) + " float32");
  }
}

TEST(OpenCLBackend, EveryBinaryOpFloat64WithBroadcast) {
  Backend& be = SharedBackend();
  std::vector<double> a = Specials(), b = Specials();
  std::vector<double> ra = RandomValues(20, -4, 4, 2);
  a.insert(a.end(), ra.begin(), ra.end());
  // x: 40 x 20 from a (row stride 0 -> broadcast rows? no: x is a column, y a row).
  Operand x = MakeOperand(be, a, DType::kFloat64, 0, 1, 0);    // x[i, j] = a[i]
  Operand y = MakeOperand(be, b, DType::kFloat64, 0, 0, 1);    // y[i, j] = b[j]
  for (int op = 0; op < kNumOpKinds; ++op) {
    OpKind kind = static_cast<OpKind>(op);
    if (ClassOf(kind) != OpClass::kBinary) continue;
    FusedKernel k = Elementwise(DType::kFloat64, 2,
                                {{OpKind::kTensor, -1, -1, 0}, {OpKind::kTensor, -1, -1, 1}, {kind, 0, 1}});
    RunAndCompare(be, k, {x, y}, {}, 40, 20, std::string(OpName(kind)) + " float64", 1e-24);
  }
}

TEST(OpenCLBackend, FusedChainWithScalarsIndicesAndTransposedInput) {
  Backend& be = SharedBackend();
  // out = sig(x^T * p0 + y) - row_index * p1 + col_index, x read transposed.
  Operand x = MakeOperand(be, RandomValues(37 * 53 + 5, -3, 3, 3), DType::kFloat32, 5, 1, 37);
  Operand y = MakeOperand(be, RandomValues(37 * 53, -3, 3, 4), DType::kFloat32, 0, 53, 1);
  FusedKernel k = Elementwise(DType::kFloat32, 2,
                              {{OpKind::kTensor, -1, -1, 0},
                               {OpKind::kScalar, -1, -1, 0},
                               {OpKind::kMul, 0, 1},
                               {OpKind::kTensor, -1, -1, 1},
                               {OpKind::kAdd, 2, 3},
                               {OpKind::kSig, 4},
                               {OpKind::kRowIndex},
                               {OpKind::kScalar, -1, -1, 1},
                               {OpKind::kMul, 6, 7},
                               {OpKind::kSub, 5, 8},
                               {OpKind::kColIndex},
                               {OpKind::kAdd, 9, 10}},
                              2);
  RunAndCompare(be, k, {x, y}, {1.5, 0.25}, 37, 53, "fused chain");
}

TEST(OpenCLBackend, LayoutVariantsAgree) {
  // Each elementwise program has a flat (all row-major contiguous), a
  // unit-column-stride and a general-stride kernel; all must agree.
  Backend& be = SharedBackend();
  // 23 x 41 fits one work-group; 96 x 80 splits into groups dividing 7680;
  // 33 x 33 = 1089 is odd and above the group limit, so it takes the 2-D path.
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{23, 41}, {96, 80}, {33, 33}}) {
  FusedKernel k = Elementwise(DType::kFloat32, 2,
                              {{OpKind::kTensor, -1, -1, 0}, {OpKind::kTensor, -1, -1, 1}, {OpKind::kMul, 0, 1},
                               {OpKind::kRowIndex}, {OpKind::kAdd, 2, 3}, {OpKind::kColIndex}, {OpKind::kSub, 4, 5},
                               {OpKind::kRand, -1, -1, 0}, {OpKind::kAdd, 6, 7}},
                              3);
  std::vector<double> params = {4242.0, 7.0, 11.0};
  std::vector<double> xv = RandomValues(rows * cols + 3, -2, 2, 30), yv = RandomValues(rows * cols + 3, -2, 2, 31);
  Operand x = MakeOperand(be, xv, DType::kFloat32, 3, cols, 1);
  Operand y = MakeOperand(be, yv, DType::kFloat32, 0, cols, 1);
  RunAndCompare(be, k, {x, y}, params, rows, cols, "flat layout", kNmse, false);
  RunAndCompare(be, k, {x, y}, params, rows, cols, "unit column stride (padded output)");
  Operand xt = MakeOperand(be, xv, DType::kFloat32, 3, 1, rows);   // read transposed
  RunAndCompare(be, k, {xt, y}, params, rows, cols, "general strides", kNmse, false);
  Operand row = MakeOperand(be, yv, DType::kFloat32, 0, 0, 1);     // broadcast down the rows
  RunAndCompare(be, k, {x, row}, params, rows, cols, "row broadcast", kNmse, false);
  }
}

TEST(OpenCLBackend, MixedDtypesStoreAsInt32AndFloat32) {
  Backend& be = SharedBackend();
  Operand x = MakeOperand(be, {1.9, -1.9, 3e9, -3e9, NAN, 0.5, -0.0, 7.0}, DType::kFloat64, 0, 4, 1);
  Operand n = MakeOperand(be, {1, 2, 3, 4, 5, 6, 7, 8}, DType::kInt32, 0, 4, 1);
  FusedKernel k;
  k.input_dtypes = {DType::kFloat64, DType::kInt32};
  k.compute_dtype = DType::kFloat64;
  k.output_dtype = DType::kInt32;
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kTensor, -1, -1, 1}, {OpKind::kMul, 0, 1}};
  RunAndCompare(be, k, {x, n}, {}, 2, 4, "int32 store", 0.0);
  k.output_dtype = DType::kFloat32;
  RunAndCompare(be, k, {x, n}, {}, 2, 4, "float32 store from float64 compute");
}

struct ReductionCase {
  OpKind op;
  int axis;
};

TEST(OpenCLBackend, ReductionsOnEveryAxisWithEpilogue) {
  for (Backend* backend : {static_cast<Backend*>(&SharedBackend()), static_cast<Backend*>(&TreeBackend())}) {
  Backend& be = *backend;
  const std::string strategy = backend == &SharedBackend() ? "default" : "tree";
  // Values with ties and NaNs for argmax/argmin and NaN propagation.
  const int64_t rows = 45, cols = 300;
  std::vector<double> values = RandomValues(rows * cols, -5, 5, 5);
  for (size_t e = 0; e < values.size(); e += 7) values[e] = std::round(values[e]);   // ties
  values[3 * cols + 17] = NAN;
  values[3 * cols + 250] = NAN;
  values[40 * cols + 1] = NAN;
  values[299] = NAN;   // row 0, last column
  Operand x = MakeOperand(be, values, DType::kFloat32, 0, cols, 1);
  std::vector<double> clean = RandomValues(rows * cols, -5, 5, 6);
  Operand c = MakeOperand(be, clean, DType::kFloat32, 0, cols, 1);
  for (OpKind op : {OpKind::kSum, OpKind::kMax, OpKind::kMin, OpKind::kArgmax, OpKind::kArgmin}) {
    for (int axis : {0, 1, kAllAxes}) {
      for (const Operand* operand : {&x, &c}) {
        FusedKernel k = Elementwise(DType::kFloat32, 1, {{OpKind::kTensor, -1, -1, 0}, {OpKind::kAbs, 0}});
        k.has_reduction = true;
        k.reduce_op = op;
        k.reduce_axis = axis;
        RunAndCompare(be, k, {*operand}, {}, rows, cols,
                      strategy + " " + std::string(OpName(op)) + " axis " + std::to_string(axis) +
                          (operand == &x ? " (ties, NaN)" : ""),
                      op == OpKind::kSum ? 1e-10 : 0.0);
      }
    }
  }
  }
}

TEST(OpenCLBackend, ReductionEpilogueReadsBroadcastInputAndParams) {
  Backend& be = SharedBackend();
  const int64_t rows = 33, cols = 70;
  // out[i] = sqrt(sum_j (x[i, j] - m[i])^2 * p0) + m[i]: a variance-like fused kernel.
  Operand x = MakeOperand(be, RandomValues(rows * cols, -2, 2, 7), DType::kFloat64, 0, cols, 1);
  Operand m = MakeOperand(be, RandomValues(rows, -1, 1, 8), DType::kFloat64, 0, 1, 0);
  FusedKernel k = Elementwise(DType::kFloat64, 2,
                              {{OpKind::kTensor, -1, -1, 0}, {OpKind::kTensor, -1, -1, 1}, {OpKind::kSub, 0, 1},
                               {OpKind::kSqr, 2}},
                              1);
  k.has_reduction = true;
  k.reduce_op = OpKind::kSum;
  k.reduce_axis = 1;
  k.epilogue = {{OpKind::kReduced}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1}, {OpKind::kSqrt, 2},
                {OpKind::kTensor, -1, -1, 1}, {OpKind::kAdd, 3, 4}};
  RunAndCompare(be, k, {x, m}, {1.0 / cols}, rows, cols, "variance epilogue", 1e-24);
}

TEST(OpenCLBackend, LargeAllAxesSumAndArgmin) {
  for (Backend* be : {static_cast<Backend*>(&SharedBackend()), static_cast<Backend*>(&TreeBackend())}) {
    const int64_t rows = 512, cols = 1000;
    std::vector<double> values = RandomValues(rows * cols, 0, 1, 9);
    values[123456] = -1;   // the minimum, twice: the first wins
    values[400000] = -1;
    Operand x = MakeOperand(*be, values, DType::kFloat32, 0, cols, 1);
    FusedKernel k = Elementwise(DType::kFloat32, 1, {{OpKind::kTensor, -1, -1, 0}});
    k.has_reduction = true;
    k.reduce_axis = kAllAxes;
    RunAndCompare(*be, k, {x}, {}, rows, cols, "sum of 512000 float32", 1e-10);
    k.reduce_op = OpKind::kArgmin;
    RunAndCompare(*be, k, {x}, {}, rows, cols, "argmin of 512000 float32", 0.0);
  }
}

TEST(OpenCLBackend, PackedArgumentsGiveTheSameResults) {
  OpenCLOptions options;
  options.cache_dir = opencl_test::TempDir("neon-opencl-packed-cache");
  options.force_packed_args = true;
  OpenCLBackend packed(options);
  Operand x = MakeOperand(packed, RandomValues(24 * 31, -3, 3, 10), DType::kFloat32, 0, 31, 1);
  FusedKernel k = Elementwise(DType::kFloat32, 1,
                              {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1},
                               {OpKind::kRand, -1, -1, 1}, {OpKind::kAdd, 2, 3}},
                              4);
  RunAndCompare(packed, k, {x}, {2.0, 1234.0, 5.0, 99.0}, 24, 31, "packed elementwise with rand");
  k.has_reduction = true;
  k.reduce_op = OpKind::kArgmax;
  k.reduce_axis = 0;
  RunAndCompare(packed, k, {x}, {2.0, 1234.0, 5.0, 99.0}, 24, 31, "packed argmax", 0.0);
}

TEST(OpenCLBackend, ManyInputsArePackedAutomatically) {
  Backend& be = SharedBackend();
  // 40 inputs need 16 + 41 * 32 bytes of arguments, beyond PoCL's 1024.
  const int inputs = 40;
  FusedKernel k = Elementwise(DType::kFloat32, inputs, {{OpKind::kTensor, -1, -1, 0}});
  for (int s = 1; s < inputs; ++s) {
    k.body.push_back({OpKind::kTensor, -1, -1, s});
    k.body.push_back({OpKind::kAdd, static_cast<int32_t>(k.body.size() - 2), static_cast<int32_t>(k.body.size() - 1)});
  }
  ASSERT_GT(opencl::UnpackedArgumentBytes(k), static_cast<OpenCLBackend&>(be).device().max_parameter_bytes);
  std::vector<Operand> operands;
  for (int s = 0; s < inputs; ++s) {
    operands.push_back(MakeOperand(be, RandomValues(6 * 9, -1, 1, 100 + s), DType::kFloat32, 0, 9, 1));
  }
  RunAndCompare(be, k, operands, {}, 6, 9, "40-input sum");
}

TEST(OpenCLBackend, RandInKernelIsBitIdenticalToPhilox) {
  Backend& be = SharedBackend();
  FusedKernel k = Elementwise(DType::kFloat32, 0, {{OpKind::kRand, -1, -1, 0}}, 3);
  const uint64_t seed = 0x123456789abcdefull;
  std::vector<double> params = {static_cast<double>(seed & 0xffffffffu), static_cast<double>(seed >> 32), 77.0};
  std::shared_ptr<Buffer> out = be.allocate(13 * 29 * sizeof(float));
  KernelArgs args{13, 29, {}, {out.get(), 0, 29, 1, DType::kFloat32}, params};
  be.run(k, args);
  std::vector<float> got = Download<float>(be, *out);
  for (int64_t e = 0; e < 13 * 29; ++e) {
    float want = static_cast<float>(philox::Uniform(philox::Bits(seed, 77 + e)));
    ASSERT_EQ(std::memcmp(&got[e], &want, sizeof want), 0) << "element " << e;
  }
}

template <typename T>
void CheckFill(Backend& be, Distribution distribution, DType dtype, double a, double b) {
  const int64_t rows = 19, cols = 23, stride = 30, offset = 4;
  std::vector<T> init(offset + rows * stride, static_cast<T>(-5));
  std::shared_ptr<Buffer> buffer = Upload(be, init);
  RandomArgs args;
  args.dst = {buffer.get(), offset, stride, 1, dtype};
  args.rows = rows;
  args.cols = cols;
  args.distribution = distribution;
  args.a = a;
  args.b = b;
  args.seed = 0xdeadbeef12345ull;
  args.counter_offset = 1001;
  be.fill_random(args);
  std::vector<T> got = Download<T>(be, *buffer);
  for (int64_t e = 0; e < static_cast<int64_t>(got.size()); ++e) {
    const int64_t pos = e - offset, i = pos / stride, j = pos % stride;
    T want = static_cast<T>(-5);
    if (pos >= 0 && j < cols) {
      const uint64_t position = args.counter_offset + i * cols + j;
      const uint32_t bits = philox::Bits(args.seed, position);
      double value = 0;
      if (distribution == Distribution::kUniform) {
        if constexpr (std::is_same_v<T, float>) {
          want = static_cast<float>(a) + (static_cast<float>(b) - static_cast<float>(a)) *
                                             static_cast<float>(philox::Uniform(bits));
        } else {
          value = a + (b - a) * philox::Uniform(bits);
        }
      } else if (distribution == Distribution::kNormal) {
        value = a + b * philox::Normal(args.seed, position);
      } else {
        value = philox::Bernoulli(bits, a);
      }
      if (distribution != Distribution::kUniform || !std::is_same_v<T, float>) {
        if constexpr (std::is_same_v<T, int32_t>) {
          want = ToInt32(value);
        } else {
          want = static_cast<T>(value);
        }
      }
    }
    ASSERT_EQ(std::memcmp(&got[e], &want, sizeof(T)), 0)
        << "distribution " << static_cast<int>(distribution) << " dtype " << DTypeName(dtype) << " element " << e
        << ": " << got[e] << " vs " << want;
  }
}

TEST(OpenCLBackend, FillRandomIsBitIdentical) {
  Backend& be = SharedBackend();
  for (Distribution d : {Distribution::kUniform, Distribution::kNormal, Distribution::kBernoulli}) {
    double a = d == Distribution::kBernoulli ? 0.3 : -1.7, b = 2.9;
    CheckFill<float>(be, d, DType::kFloat32, a, b);
    CheckFill<double>(be, d, DType::kFloat64, a, b);
    CheckFill<int32_t>(be, d, DType::kInt32, d == Distribution::kBernoulli ? a : -100.0, 100.0);
  }
  // Bernoulli thresholds at the edges: p = 0, p = 1, p between two 24-bit steps.
  CheckFill<float>(be, Distribution::kBernoulli, DType::kFloat32, 0.0, 0);
  CheckFill<float>(be, Distribution::kBernoulli, DType::kFloat32, 1.0, 0);
  CheckFill<float>(be, Distribution::kBernoulli, DType::kFloat32, 0.5 + 0.3 / 16777216.0, 0);
}

TEST(OpenCLBackend, UnreadInputsNeedNoBufferAndRandParamsAreChecked) {
  Backend& be = SharedBackend();
  // Slot 0 is never read: it may have no buffer, as in the reference backend.
  FusedKernel k = Elementwise(DType::kFloat32, 2, {{OpKind::kTensor, -1, -1, 1}, {OpKind::kRand, -1, -1, 0},
                                                   {OpKind::kAdd, 0, 1}}, 3);
  Operand y = MakeOperand(be, RandomValues(5 * 7, -1, 1, 40), DType::kFloat32, 0, 7, 1);
  Operand unread{DType::kFloat32, {}, nullptr};
  RunAndCompare(be, k, {unread, y}, {5.0, 6.0, 7.0}, 5, 7, "unread input without a buffer");
  std::shared_ptr<Buffer> out = be.allocate(5 * 7 * sizeof(float));
  KernelArgs args{5, 7, {{nullptr, 0, 0, 0, DType::kFloat32}, {y.buffer.get(), 0, 7, 1, DType::kFloat32}},
                  {out.get(), 0, 7, 1, DType::kFloat32}, {4294967296.0, 0.0, 0.0}};
  EXPECT_THROW(be.run(k, args), ArgumentError);   // key half above 2^32 - 1
  args.params = {1.0, 2.0, 0.5};
  EXPECT_THROW(be.run(k, args), ArgumentError);   // fractional counter offset
  args.params = {1.0, 2.0, 3.0};
  args.inputs[1].buffer = nullptr;
  EXPECT_THROW(be.run(k, args), ArgumentError);   // a read input needs a buffer
}

TEST(OpenCLBackend, CopiesAndBoundsChecks) {
  Backend& be = SharedBackend();
  std::vector<int32_t> values(100);
  for (int e = 0; e < 100; ++e) values[e] = e;
  std::shared_ptr<Buffer> a = Upload(be, values);
  std::shared_ptr<Buffer> b = be.allocate(400);
  be.copy(*a, 40, *b, 0, 240);
  be.copy(*a, 0, *a, 8, 80);   // overlapping, within one buffer
  std::vector<int32_t> got_a = Download<int32_t>(be, *a), got_b = Download<int32_t>(be, *b);
  for (int e = 0; e < 60; ++e) EXPECT_EQ(got_b[e], e + 10);
  for (int e = 0; e < 20; ++e) EXPECT_EQ(got_a[e + 2], e);
  EXPECT_EQ(got_a[0], 0);
  EXPECT_EQ(got_a[22], 22);
  int32_t probe[4];
  be.copy_out(*a, 12, probe, 8);
  EXPECT_EQ(probe[0], 1);
  EXPECT_THROW(be.copy_in(*b, 399, probe, 2), ArgumentError);
  EXPECT_THROW(be.copy_out(*b, 401, probe, 0), ArgumentError);
  EXPECT_THROW(be.copy(*a, 0, *b, 200, 201), ArgumentError);
  // A view reaching past the end, and a buffer of another backend instance.
  FusedKernel k = Elementwise(DType::kInt32, 1, {{OpKind::kTensor, -1, -1, 0}});
  KernelArgs args{10, 11, {{a.get(), 0, 10, 1, DType::kInt32}}, {b.get(), 0, 10, 1, DType::kInt32}, {}};
  EXPECT_THROW(be.run(k, args), ArgumentError);
  OpenCLOptions options;
  options.cache_dir = "";
  OpenCLBackend other(options);
  std::shared_ptr<Buffer> foreign = other.allocate(16);
  EXPECT_THROW(be.copy_in(*foreign, 0, probe, 4), ArgumentError);
}

}  // namespace
}  // namespace neon
