// The cpu backend against straightforward float64 loops over core/scalar_ops.h
// and core/philox.h: every elementwise op, broadcast and strided operands,
// reductions on every axis, thread-count independence, kRand, fill_random, GEMM,
// convolution's combined backward pass.
#include "backends/cpu/cpu_backend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "backends/host_buffer.h"
#include "core/error.h"
#include "core/philox.h"
#include "core/scalar_ops.h"

namespace neon {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A host array and its device copy.
struct Array {
  std::shared_ptr<Buffer> buffer;
  DType dtype;
  std::vector<double> host;  // values as doubles (what the reference reads)
};

Array Upload(Backend& be, const std::vector<double>& values, DType dtype) {
  Array a{be.allocate(values.size() * SizeOf(dtype)), dtype, values};
  std::byte* data = HostBuffer::Data(a.buffer.get());
  for (size_t k = 0; k < values.size(); ++k) {
    switch (dtype) {
      case DType::kFloat32: { float v = static_cast<float>(values[k]); std::memcpy(data + 4 * k, &v, 4); a.host[k] = v; break; }
      case DType::kFloat64: std::memcpy(data + 8 * k, &values[k], 8); break;
      case DType::kInt32: { int32_t v = ToInt32(values[k]); std::memcpy(data + 4 * k, &v, 4); a.host[k] = v; break; }
    }
  }
  return a;
}

std::vector<double> Download(const Buffer& buffer, DType dtype, size_t count) {
  std::vector<double> out(count);
  const std::byte* data = HostBuffer::Data(&buffer);
  for (size_t k = 0; k < count; ++k) {
    switch (dtype) {
      case DType::kFloat32: { float v; std::memcpy(&v, data + 4 * k, 4); out[k] = v; break; }
      case DType::kFloat64: std::memcpy(&out[k], data + 8 * k, 8); break;
      case DType::kInt32: { int32_t v; std::memcpy(&v, data + 4 * k, 4); out[k] = v; break; }
    }
  }
  return out;
}

std::vector<double> RandomValues(size_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = dist(gen);
  return v;
}

double ReadRef(const TensorRef& ref, const std::vector<double>& host, int64_t i, int64_t j) {
  return host[ref.offset + i * ref.row_stride + j * ref.col_stride];
}

// The oracle: the program interpreted in float64 at every position.
double EvalAt(const std::vector<Instr>& instrs, const KernelArgs& args, const std::vector<const std::vector<double>*>& hosts,
              int64_t i, int64_t j, int64_t cols, double reduced) {
  std::vector<double> r(instrs.size());
  for (size_t k = 0; k < instrs.size(); ++k) {
    const Instr& in = instrs[k];
    switch (in.op) {
      case OpKind::kTensor: r[k] = ReadRef(args.inputs[in.slot], *hosts[in.slot], i, j); break;
      case OpKind::kScalar: r[k] = args.params[in.slot]; break;
      case OpKind::kRowIndex: r[k] = static_cast<double>(i); break;
      case OpKind::kColIndex: r[k] = static_cast<double>(j); break;
      case OpKind::kReduced: r[k] = reduced; break;
      case OpKind::kRand: {
        uint64_t key = static_cast<uint64_t>(args.params[in.slot]) | static_cast<uint64_t>(args.params[in.slot + 1]) << 32;
        uint64_t pos = static_cast<uint64_t>(args.params[in.slot + 2]) + i * cols + j;
        r[k] = philox::Uniform(philox::Bits(key, pos));
        break;
      }
      default:
        r[k] = ClassOf(in.op) == OpClass::kUnary ? ApplyUnary(in.op, r[in.a]) : ApplyBinary(in.op, r[in.a], r[in.b]);
    }
  }
  return r.back();
}

double Store(DType dtype, double v) {
  if (dtype == DType::kFloat32) return static_cast<float>(v);
  if (dtype == DType::kInt32) return ToInt32(v);
  return v;
}

std::vector<double> Oracle(const FusedKernel& kernel, const KernelArgs& args, const std::vector<const std::vector<double>*>& hosts) {
  const int64_t rows = args.rows, cols = args.cols;
  if (!kernel.has_reduction) {
    std::vector<double> out(rows * cols);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) out[i * cols + j] = Store(kernel.output_dtype, EvalAt(kernel.body, args, hosts, i, j, cols, 0));
    return out;
  }
  const int axis = kernel.reduce_axis;
  const int64_t orows = axis == 1 ? rows : 1, ocols = axis == 0 ? cols : 1;
  const OpKind op = kernel.reduce_op;
  const bool is_max = op == OpKind::kMax || op == OpKind::kArgmax;
  std::vector<double> out(orows * ocols);
  for (int64_t oi = 0; oi < orows; ++oi) {
    for (int64_t oj = 0; oj < ocols; ++oj) {
      double acc = op == OpKind::kSum ? 0.0 : (is_max ? -kInf : kInf);
      int64_t at = -1;
      for (int64_t i = (axis == 1 ? oi : 0); i < (axis == 1 ? oi + 1 : rows); ++i) {
        for (int64_t j = (axis == 0 ? oj : 0); j < (axis == 0 ? oj + 1 : cols); ++j) {
          const double v = EvalAt(kernel.body, args, hosts, i, j, cols, 0);
          const int64_t idx = axis == 0 ? i : axis == 1 ? j : i * cols + j;
          if (op == OpKind::kSum) { acc += v; continue; }
          const bool beats = at < 0 || (is_max ? v > acc : v < acc) || (std::isnan(v) && !std::isnan(acc));
          if (op == OpKind::kMax || op == OpKind::kMin) {
            if (std::isnan(v) || beats) acc = std::isnan(acc) ? acc : v;
            at = 0;
          } else if (beats) {
            acc = v;
            at = idx;
          }
        }
      }
      const double reduced = (op == OpKind::kArgmax || op == OpKind::kArgmin) ? static_cast<double>(std::max<int64_t>(at, 0)) : acc;
      const std::vector<Instr> identity = {{OpKind::kReduced}};
      const auto& epi = kernel.epilogue.empty() ? identity : kernel.epilogue;
      out[oi * ocols + oj] = Store(kernel.output_dtype, EvalAt(epi, args, hosts, oi, oj, ocols, reduced));
    }
  }
  return out;
}

// NMSE <= limit over finite expected values; NaN and +-Inf positions equal.
void ExpectClose(const std::vector<double>& expected, const std::vector<double>& actual, double limit, const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  double err = 0, norm = 0;
  for (size_t k = 0; k < expected.size(); ++k) {
    const double e = expected[k], a = actual[k];
    if (std::isnan(e) || std::isinf(e)) {
      if (std::isnan(e)) {
        ASSERT_TRUE(std::isnan(a)) << what << " at " << k << ": expected NaN, got " << a;
      } else {
        ASSERT_EQ(e, a) << what << " at " << k;
      }
      continue;
    }
    ASSERT_TRUE(std::isfinite(a)) << what << " at " << k << ": expected " << e << ", got " << a;
    err += (e - a) * (e - a);
    norm += e * e;
  }
  if (norm == 0) {
    EXPECT_EQ(err, 0) << what;
  } else {
    EXPECT_LE(err / norm, limit) << what;
  }
}

class CpuBackendTest : public ::testing::Test {
 protected:
  CpuBackend be_{2};
};

constexpr DType kF32 = DType::kFloat32;
constexpr DType kF64 = DType::kFloat64;

TensorRef Contiguous(const Array& a, int64_t cols) { return {a.buffer.get(), 0, cols, 1, a.dtype}; }

// Runs `kernel` on `be` and the oracle; compares.
void Check(Backend& be, const FusedKernel& kernel, KernelArgs args, const std::vector<const Array*>& inputs,
           double limit, const std::string& what) {
  std::vector<const std::vector<double>*> hosts;
  for (const Array* a : inputs) hosts.push_back(&a->host);
  const int64_t orows = !kernel.has_reduction || kernel.reduce_axis == 1 ? args.rows : 1;
  const int64_t ocols = !kernel.has_reduction || kernel.reduce_axis == 0 ? args.cols : 1;
  Array out = Upload(be, std::vector<double>(orows * ocols, -12345.0), kernel.output_dtype);
  args.output = Contiguous(out, ocols);
  be.run(kernel, args);
  ExpectClose(Oracle(kernel, args, hosts), Download(*out.buffer, out.dtype, orows * ocols), limit, what);
}

const std::vector<double> kSpecials = {0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 2.5, 3.5, kInf, -kInf, kNan, 1e-40, -1e-40,
                                       1e-30, 88.0, 89.0, -87.0, -104.0, -110.0, 1e30, -1e30, 20.0, -20.0, 1e-8};

std::vector<double> TestInputs(size_t n, uint32_t seed) {
  std::vector<double> v = RandomValues(n, -12.0, 12.0, seed);
  for (size_t k = 0; k < kSpecials.size() && k < n; ++k) v[k * 7 % n] = kSpecials[k];
  return v;
}

const OpKind kUnaryOps[] = {OpKind::kFinite, OpKind::kNeg, OpKind::kAbs, OpKind::kSgn, OpKind::kSqrt, OpKind::kSqr,
                            OpKind::kExp, OpKind::kLog, OpKind::kExp2, OpKind::kLog2, OpKind::kSig, OpKind::kSig2,
                            OpKind::kTanh, OpKind::kTanh2, OpKind::kSafelog, OpKind::kRint, OpKind::kBinarize};
const OpKind kBinaryOps[] = {OpKind::kAdd, OpKind::kSub, OpKind::kMul, OpKind::kDiv, OpKind::kEq, OpKind::kNe,
                             OpKind::kLt, OpKind::kLe, OpKind::kGt, OpKind::kGe, OpKind::kPow, OpKind::kMinimum,
                             OpKind::kMaximum, OpKind::kShift};

TEST_F(CpuBackendTest, UnaryOpsMatchSpec) {
  for (DType dtype : {kF32, kF64}) {
    const int64_t rows = 37, cols = 45;
    Array x = Upload(be_, TestInputs(rows * cols, 1), dtype);
    for (OpKind op : kUnaryOps) {
      FusedKernel k;
      k.input_dtypes = {dtype};
      k.compute_dtype = k.output_dtype = dtype;
      k.body = {{OpKind::kTensor, -1, -1, 0}, {op, 0}};
      KernelArgs args{rows, cols, {Contiguous(x, cols)}, {}, {}};
      Check(be_, k, args, {&x}, dtype == kF32 ? 1e-12 : 0.0, std::string(OpName(op)) + " " + std::string(DTypeName(dtype)));
    }
  }
}

TEST_F(CpuBackendTest, BinaryOpsWithBroadcastAndTransposedOperands) {
  const int64_t rows = 29, cols = 70;
  for (DType dtype : {kF32, kF64}) {
    Array a = Upload(be_, TestInputs(rows * cols, 2), dtype);
    std::vector<double> bv = RandomValues(rows * cols, -4.0, 4.0, 3);
    for (size_t k = 0; k < bv.size(); k += 11) bv[k] = std::round(bv[k]);  // integer exponents, equal values
    for (size_t k = 0; k < bv.size(); k += 13) bv[k] = a.host[k];
    bv[5] = kNan;
    bv[17] = kInf;
    Array b = Upload(be_, bv, dtype);
    Array row = Upload(be_, RandomValues(cols, 0.5, 3.0, 4), dtype);
    Array col = Upload(be_, RandomValues(rows, -3.0, 3.0, 5), dtype);
    Array bt = Upload(be_, bv, dtype);  // read as the transpose of a cols x rows matrix
    for (OpKind op : kBinaryOps) {
      FusedKernel k;
      k.input_dtypes = {dtype, dtype};
      k.compute_dtype = k.output_dtype = dtype;
      k.num_params = 1;
      k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kTensor, -1, -1, 1}, {op, 0, 1}};
      const std::string name = std::string(OpName(op)) + " " + std::string(DTypeName(dtype));
      const double limit = dtype == kF32 ? 1e-12 : 0.0;
      Check(be_, k, {rows, cols, {Contiguous(a, cols), Contiguous(b, cols)}, {}, {0.0}}, {&a, &b}, limit, name);
      Check(be_, k, {rows, cols, {Contiguous(a, cols), {row.buffer.get(), 0, 0, 1, dtype}}, {}, {0.0}}, {&a, &row}, limit, name + " row broadcast");
      Check(be_, k, {rows, cols, {{col.buffer.get(), 0, 1, 0, dtype}, Contiguous(a, cols)}, {}, {0.0}}, {&col, &a}, limit, name + " column broadcast");
      Check(be_, k, {rows, cols, {Contiguous(a, cols), {bt.buffer.get(), 0, 1, rows, dtype}}, {}, {0.0}}, {&a, &bt}, limit, name + " transposed");
      FusedKernel ks = k;  // tensor op scalar and scalar op tensor
      ks.input_dtypes = {dtype};
      ks.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {op, 0, 1}, {op, 1, 0}, {OpKind::kAdd, 2, 3}};
      Check(be_, ks, {rows, cols, {Contiguous(a, cols)}, {}, {2.0}}, {&a}, limit, name + " with scalar");
    }
  }
}

TEST_F(CpuBackendTest, SigmoidTreeAndLongPrograms) {
  const int64_t rows = 300, cols = 1000;  // several tiles, more than one thread
  Array x = Upload(be_, RandomValues(rows * cols, -30, 30, 6), kF32);
  FusedKernel k;
  k.input_dtypes = {kF32};
  k.num_params = 1;
  // 1 / (1 + exp(-x)) * x - tanh(x) + maximum(x, 0.5)
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kNeg, 0}, {OpKind::kExp, 1}, {OpKind::kScalar, -1, -1, 0},
            {OpKind::kAdd, 3, 2}, {OpKind::kDiv, 3, 4}, {OpKind::kMul, 5, 0}, {OpKind::kTanh, 0},
            {OpKind::kSub, 6, 7}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 9, 9}, {OpKind::kMaximum, 0, 10},
            {OpKind::kAdd, 8, 11}};
  Check(be_, k, {rows, cols, {Contiguous(x, cols)}, {}, {1.0}}, {&x}, 1e-12, "sigmoid tree");
  // The same with exp(-x) read again after the sigmoid (it must still be computed),
  // and with a parameter that is not 1 (no sigmoid rewrite).
  k.body.push_back({OpKind::kAdd, 12, 2});
  Check(be_, k, {rows, cols, {Contiguous(x, cols)}, {}, {1.0}}, {&x}, 1e-12, "sigmoid tree, exp reused");
  Check(be_, k, {rows, cols, {Contiguous(x, cols)}, {}, {2.0}}, {&x}, 1e-12, "2 / (2 + exp(-x)) tree");
}

TEST_F(CpuBackendTest, MixedDtypesComputeInFloat64AndStoreInt32) {
  const int64_t rows = 7, cols = 300;
  std::vector<double> iv = RandomValues(rows * cols, -1000, 1000, 7);
  Array xi = Upload(be_, iv, DType::kInt32);
  Array xf = Upload(be_, RandomValues(rows * cols, -3e9, 3e9, 8), kF32);
  FusedKernel k;
  k.input_dtypes = {DType::kInt32, kF32};
  k.compute_dtype = kF64;
  k.output_dtype = DType::kInt32;
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kTensor, -1, -1, 1}, {OpKind::kAdd, 0, 1}};
  Check(be_, k, {rows, cols, {Contiguous(xi, cols), Contiguous(xf, cols)}, {}, {}}, {&xi, &xf}, 0.0, "int32 + float32 -> int32");
}

TEST_F(CpuBackendTest, IndicesAndRandMatchPhilox) {
  for (DType dtype : {kF32, kF64}) {
    const int64_t rows = 13, cols = 1500;
    FusedKernel k;
    k.compute_dtype = k.output_dtype = dtype;
    k.num_params = 3;
    // rand + 2 * row_index + 3 * col_index (exact in both dtypes)
    k.body = {{OpKind::kRand, -1, -1, 0}, {OpKind::kRowIndex}, {OpKind::kColIndex}, {OpKind::kAdd, 1, 1},
              {OpKind::kAdd, 2, 2}, {OpKind::kAdd, 4, 2}, {OpKind::kAdd, 3, 5}, {OpKind::kAdd, 0, 6}};
    const double seed_lo = 0x12345678, seed_hi = 0x9abc, offset = 1000003;
    Check(be_, k, {rows, cols, {}, {}, {seed_lo, seed_hi, offset}}, {}, 0.0, "rand and indices");
  }
}

// ---- reductions

void CheckReductions(Backend& be, DType dtype, int64_t rows, int64_t cols, bool with_nan, double limit) {
  std::vector<double> v = RandomValues(rows * cols, -5, 5, static_cast<uint32_t>(rows * 31 + cols));
  for (size_t k = 0; k < v.size(); k += 97) v[k] = std::round(v[k]);  // ties
  if (with_nan) {
    v[v.size() / 3] = kNan;
    v[v.size() / 2] = kNan;
  }
  Array x = Upload(be, v, dtype);
  Array bias = Upload(be, RandomValues(std::max(rows, cols), -1, 1, 9), dtype);
  for (OpKind op : {OpKind::kSum, OpKind::kMax, OpKind::kMin, OpKind::kArgmax, OpKind::kArgmin}) {
    for (int axis : {0, 1, kAllAxes}) {
      FusedKernel k;
      k.input_dtypes = {dtype, dtype};
      k.compute_dtype = k.output_dtype = dtype;
      k.num_params = 1;
      k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1}};
      k.has_reduction = true;
      k.reduce_op = op;
      k.reduce_axis = axis;
      // epilogue: reduced + bias (bias indexed at output positions)
      k.epilogue = {{OpKind::kReduced}, {OpKind::kTensor, -1, -1, 1}, {OpKind::kAdd, 0, 1}};
      TensorRef bias_ref{bias.buffer.get(), 0, axis == 1 ? 1 : 0, axis == 0 ? 1 : 0, dtype};
      const std::string name = std::string(OpName(op)) + " axis " + std::to_string(axis) + " " +
                               std::to_string(rows) + "x" + std::to_string(cols) + " " + std::string(DTypeName(dtype));
      Check(be, k, {rows, cols, {Contiguous(x, cols), bias_ref}, {}, {1.5}}, {&x, &bias}, limit, name);
      // The body a plain tensor: reduced straight from memory, also from a row-padded view.
      FusedKernel plain = k;
      plain.body = {{OpKind::kTensor, -1, -1, 0}};
      Check(be, plain, {rows, cols, {Contiguous(x, cols), bias_ref}, {}, {1.5}}, {&x, &bias}, limit, name + " plain");
      if (cols > 1) {
        Check(be, plain, {rows, cols - 1, {{x.buffer.get(), 1, cols, 1, dtype}, bias_ref}, {}, {1.5}}, {&x, &bias}, limit,
              name + " plain, padded rows");
      }
      // Transposed input: x read as (cols x rows)^T.
      if (rows * cols < 200000) {
        KernelArgs t{cols, rows, {{x.buffer.get(), 0, 1, cols, dtype}, bias_ref}, {}, {1.5}};
        t.inputs[1].row_stride = axis == 1 ? 1 : 0;
        t.inputs[1].col_stride = axis == 0 ? 1 : 0;
        Check(be, k, t, {&x, &bias}, limit, name + " transposed");
      }
    }
  }
}

TEST_F(CpuBackendTest, ReductionsFloat32) {
  for (auto [r, c] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 1000}, {1000, 3}, {257, 1031}, {1, 70000}, {70000, 2}, {64, 64}})
    CheckReductions(be_, kF32, r, c, false, 1e-10);  // float32 products cancel in long sums
  CheckReductions(be_, kF32, 257, 1031, true, 1e-10);
}

TEST_F(CpuBackendTest, ReductionsFloat64) {
  for (auto [r, c] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 1000}, {1000, 3}, {129, 517}})
    CheckReductions(be_, kF64, r, c, false, 1e-24);
  CheckReductions(be_, kF64, 129, 517, true, 1e-24);
}

TEST(CpuBackendThreads, ResultsIdenticalForAnyThreadCount) {
  const int64_t rows = 1500, cols = 2100;
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2, 3, 5}) {
    CpuBackend be(threads);
    Array x = Upload(be, RandomValues(rows * cols, -1, 1, 10), kF32);
    std::vector<double> all;
    for (OpKind op : {OpKind::kSum, OpKind::kArgmax}) {
      for (int axis : {0, 1, kAllAxes}) {
        FusedKernel k;
        k.input_dtypes = {kF32};
        k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kExp, 0}};
        k.has_reduction = true;
        k.reduce_op = op;
        k.reduce_axis = axis;
        const int64_t n = axis == 0 ? cols : axis == 1 ? rows : 1;
        Array out = Upload(be, std::vector<double>(n, 0), kF32);
        be.run(k, {rows, cols, {Contiguous(x, cols)}, {out.buffer.get(), 0, axis == 1 ? 1 : n, 1, kF32}, {}});
        const std::vector<double> got = Download(*out.buffer, kF32, n);
        all.insert(all.end(), got.begin(), got.end());
      }
    }
    results.push_back(all);
  }
  for (size_t t = 1; t < results.size(); ++t) {
    for (size_t k = 0; k < results[0].size(); ++k) ASSERT_EQ(results[0][k], results[t][k]) << "thread setting " << t << " element " << k;
  }
}

TEST_F(CpuBackendTest, OutputMayAliasInput) {
  const int64_t rows = 200, cols = 300;
  std::vector<double> v = RandomValues(rows * cols, -3, 3, 11);
  Array x = Upload(be_, v, kF32);
  FusedKernel k;
  k.input_dtypes = {kF32};
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kExp, 0}, {OpKind::kAdd, 1, 0}};
  be_.run(k, {rows, cols, {Contiguous(x, cols)}, Contiguous(x, cols), {}});
  std::vector<double> expected(v.size());
  for (size_t i = 0; i < v.size(); ++i) expected[i] = static_cast<float>(std::exp(x.host[i]) + x.host[i]);
  ExpectClose(expected, Download(*x.buffer, kF32, v.size()), 1e-12, "in place");
}

// ---- random fills

TEST_F(CpuBackendTest, FillRandomIsBitIdenticalToPhilox) {
  const int64_t rows = 17, cols = 301;
  for (DType dtype : {kF32, kF64, DType::kInt32}) {
    for (Distribution dist : {Distribution::kUniform, Distribution::kNormal, Distribution::kBernoulli}) {
      // A strided destination: every other column of a rows x 2*cols buffer.
      auto buffer = be_.allocate(rows * 2 * cols * SizeOf(dtype));
      RandomArgs r;
      r.dst = {buffer.get(), 1, 2 * cols, 2, dtype};
      r.rows = rows;
      r.cols = cols;
      r.distribution = dist;
      r.a = dist == Distribution::kBernoulli ? 0.3 : -2.0;
      r.b = 5.0;
      r.seed = 0xfeedbeef12345ull;
      r.counter_offset = 77;
      be_.fill_random(r);
      std::vector<double> got = Download(*buffer, dtype, rows * 2 * cols);
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j) {
          const uint64_t pos = r.counter_offset + i * cols + j;
          double want;
          if (dist == Distribution::kUniform) {
            const double u = philox::Uniform(philox::Bits(r.seed, pos));
            want = dtype == kF32 ? static_cast<double>(static_cast<float>(r.a) + (static_cast<float>(r.b) - static_cast<float>(r.a)) * static_cast<float>(u))
                                 : Store(dtype, r.a + (r.b - r.a) * u);
          } else if (dist == Distribution::kNormal) {
            want = Store(dtype, r.a + r.b * philox::Normal(r.seed, pos));
          } else {
            want = philox::Bernoulli(philox::Bits(r.seed, pos), r.a);
          }
          ASSERT_EQ(got[1 + i * 2 * cols + 2 * j], want) << DTypeName(dtype) << " distribution " << static_cast<int>(dist) << " at " << i << "," << j;
        }
      }
    }
  }
}

// ---- GEMM

struct GemmCase {
  int64_t m, n, k, batch;
  bool ta, tb;
  double alpha, beta;
  int64_t pad;  // extra elements per row (ld = cols + pad) and offset
};

void CheckGemm(Backend& be, DType dtype, const GemmCase& g) {
  const int64_t ar = g.ta ? g.k : g.m, ac = g.ta ? g.m : g.k;
  const int64_t br = g.tb ? g.n : g.k, bc = g.tb ? g.k : g.n;
  const int64_t lda = ac + g.pad, ldb = bc + g.pad, ldc = g.n + g.pad;
  const int64_t sa = ar * lda + g.pad, sb = br * ldb + 1, sc = g.m * ldc + 2;
  Array a = Upload(be, RandomValues(g.pad + g.batch * sa, -1, 1, 12), dtype);
  Array b = Upload(be, RandomValues(g.pad + g.batch * sb, -1, 1, 13), dtype);
  std::vector<double> cv = RandomValues(g.pad + g.batch * sc, -1, 1, 14);
  if (g.beta == 0) std::fill(cv.begin(), cv.end(), kNan);  // must be ignored
  Array c = Upload(be, cv, dtype);
  GemmArgs args;
  args.dtype = dtype;
  args.m = g.m; args.n = g.n; args.k = g.k; args.batch = g.batch;
  args.alpha = g.alpha; args.beta = g.beta;
  args.a = {a.buffer.get(), g.pad, lda, g.ta, sa};
  args.b = {b.buffer.get(), g.pad, ldb, g.tb, sb};
  args.c = {c.buffer.get(), g.pad, ldc, false, sc};
  be.gemm(args);
  std::vector<double> expected = c.host, got = Download(*c.buffer, dtype, c.host.size());
  for (int64_t t = 0; t < g.batch; ++t) {
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < g.k; ++p) {
          const double av = a.host[g.pad + t * sa + (g.ta ? p * lda + i : i * lda + p)];
          const double bv = b.host[g.pad + t * sb + (g.tb ? j * ldb + p : p * ldb + j)];
          s += av * bv;
        }
        double& cij = expected[g.pad + t * sc + i * ldc + j];
        cij = Store(dtype, g.alpha * s + (g.beta == 0 ? 0.0 : g.beta * cij));
      }
    }
  }
  // Elements outside C's matrices (padding) must be untouched: compare all, NaN positions included.
  ExpectClose(expected, got, dtype == kF32 ? 1e-10 : 1e-26, "gemm m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k));
}

TEST_F(CpuBackendTest, GemmMatchesDoubleLoops) {
  const std::vector<GemmCase> cases = {
      {64, 64, 64, 1, false, false, 1.0, 0.0, 0},   {33, 17, 29, 1, true, false, 0.5, 1.0, 3},
      {33, 17, 29, 1, false, true, -1.0, 0.25, 1},  {40, 50, 60, 1, true, true, 2.0, 0.0, 2},
      {16, 24, 8, 5, false, false, 1.0, 0.5, 1},    {130, 70, 0, 2, false, false, 1.0, 0.0, 0},
      {200, 150, 300, 1, false, false, 1.0, 0.0, 0}, {1, 1, 1, 1, false, false, 3.0, 2.0, 0}};
  for (DType dtype : {kF32, kF64})
    for (const GemmCase& g : cases) CheckGemm(be_, dtype, g);
}

// ---- convolution

// conv_bprop runs both backward passes, reordering a gradient they share once: it must
// give what the two passes give separately, with one gradient or with two different ones.
TEST_F(CpuBackendTest, ConvBpropMatchesSeparatePasses) {
  ConvGeometry g;
  g.n = 5, g.c = 17, g.h = 7, g.w = 6, g.k = 20, g.r = 3, g.s = 3, g.pad_h = 1, g.pad_w = 1;
  g.p = ConvOutputSize(g.h, g.r, g.pad_h, g.stride_h, g.dilation_h);
  g.q = ConvOutputSize(g.w, g.s, g.pad_w, g.stride_w, g.dilation_w);
  const size_t src_size = g.c * g.h * g.w * g.n, filter_size = g.k * g.c * g.r * g.s, dst_size = g.k * g.p * g.q * g.n;
  Array src = Upload(be_, RandomValues(src_size, -1, 1, 1), kF32);
  Array filter = Upload(be_, RandomValues(filter_size, -1, 1, 2), kF32);
  Array gradient = Upload(be_, RandomValues(dst_size, -1, 1, 3), kF32);
  Array other_gradient = Upload(be_, RandomValues(dst_size, -1, 1, 4), kF32);
  auto args = [&](const Array& a_src, const Array& a_filter, const Array& a_dst) {
    ConvArgs a;
    a.geometry = g;
    a.src = {a_src.buffer.get(), 0};
    a.filter = {a_filter.buffer.get(), 0};
    a.dst = {a_dst.buffer.get(), 0};
    return a;
  };
  for (const Array* data_gradient : {&gradient, &other_gradient}) {
    Array filter_grad = Upload(be_, std::vector<double>(filter_size, 0.0), kF32);
    Array src_grad = Upload(be_, std::vector<double>(src_size, 0.0), kF32);
    be_.conv_bprop(args(src, filter_grad, gradient), args(src_grad, filter, *data_gradient));
    Array expected_filter_grad = Upload(be_, std::vector<double>(filter_size, 0.0), kF32);
    Array expected_src_grad = Upload(be_, std::vector<double>(src_size, 0.0), kF32);
    be_.conv_bprop_filter(args(src, expected_filter_grad, gradient));
    be_.conv_bprop_data(args(expected_src_grad, filter, *data_gradient));
    const char* what = data_gradient == &gradient ? "one gradient" : "two gradients";
    EXPECT_EQ(Download(*filter_grad.buffer, kF32, filter_size), Download(*expected_filter_grad.buffer, kF32, filter_size))
        << what;
    EXPECT_EQ(Download(*src_grad.buffer, kF32, src_size), Download(*expected_src_grad.buffer, kF32, src_size)) << what;
  }
}

// ---- errors and info

TEST_F(CpuBackendTest, RejectsMalformedLaunches) {
  Array x = Upload(be_, std::vector<double>(12, 1.0), kF32);
  FusedKernel k;
  k.input_dtypes = {kF32};
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kExp, 0}};
  KernelArgs args{3, 4, {Contiguous(x, 4)}, Contiguous(x, 4), {}};
  EXPECT_NO_THROW(be_.run(k, args));
  KernelArgs too_big = args;
  too_big.rows = 4;
  EXPECT_THROW(be_.run(k, too_big), ArgumentError);
  FusedKernel bad_slot = k;
  bad_slot.body[0].slot = 3;
  EXPECT_THROW(be_.run(bad_slot, args), ArgumentError);
  FusedKernel bad_operand = k;
  bad_operand.body[1].a = 1;
  EXPECT_THROW(be_.run(bad_operand, args), ArgumentError);
  FusedKernel bad_dtype = k;
  bad_dtype.input_dtypes = {kF64};
  EXPECT_THROW(be_.run(bad_dtype, args), ArgumentError);
  CpuBackend other(1);
  auto foreign = other.allocate(48);
  KernelArgs foreign_out = args;
  foreign_out.output.buffer = foreign.get();
  EXPECT_THROW(be_.run(k, foreign_out), ArgumentError);
  GemmArgs g;
  g.m = g.n = g.k = 4;
  g.a = {x.buffer.get(), 0, 4};
  g.b = {x.buffer.get(), 0, 4};
  g.c = {x.buffer.get(), 0, 4};
  EXPECT_THROW(be_.gemm(g), ArgumentError);  // 4 x 4 needs 16 elements, the buffer has 12
  EXPECT_THROW(be_.copy_in(*x.buffer, 40, x.host.data(), 16), ArgumentError);
}

TEST(CpuBackendInfo, DescribesTheDevice) {
  CpuBackend be(3);
  EXPECT_EQ(be.info().name, "cpu");
  EXPECT_EQ(be.info().kind, "cpu");
  EXPECT_EQ(be.info().compute_units, 3);
  EXPECT_GT(be.info().memory_bytes, 0u);
  EXPECT_NE(be.info().description.find("SIMD"), std::string::npos) << be.info().description;
  setenv("NEON_NUM_THREADS", "2", 1);
  EXPECT_EQ(MakeCpuBackend()->info().compute_units, 2);
  setenv("NEON_NUM_THREADS", "zero", 1);
  EXPECT_THROW(MakeCpuBackend(), ArgumentError);
  unsetenv("NEON_NUM_THREADS");
}

}  // namespace
}  // namespace neon
