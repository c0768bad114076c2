// Test helpers for the OpenCL backend: one shared backend per test binary,
// host <-> device transfers, and a plain double-loop evaluator of FusedKernel
// over core/scalar_ops.h that results are compared against.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/opencl/opencl_backend.h"
#include "backends/test_buffers.h"
#include "core/philox.h"
#include "core/scalar_ops.h"

namespace neon::opencl_test {

// A scratch directory under the test's TEST_TMPDIR (or /tmp).
inline std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  return std::string(base != nullptr ? base : "/tmp") + "/" + name;
}

// One backend per test binary: CLBlast and PoCL compile per context, so reuse it.
inline OpenCLBackend& SharedBackend() {
  static OpenCLBackend* backend = [] {
    OpenCLOptions options;
    options.cache_dir = TempDir("neon-opencl-shared-cache");
    return new OpenCLBackend(options);
  }();
  return *backend;
}

using test::Download;
using test::Upload;

// A host copy of one input: its values (as double) and its view.
struct HostInput {
  std::vector<double> values;
  int64_t offset = 0, row_stride = 0, col_stride = 0;
  double At(int64_t i, int64_t j) const { return values[offset + i * row_stride + j * col_stride]; }
};

// Evaluates instrs at (i, j) in double, the way core/kernel.h specifies.
inline double Evaluate(const std::vector<Instr>& instrs, const std::vector<HostInput>& inputs,
                       const std::vector<double>& params, int64_t i, int64_t j, int64_t width, double reduced,
                       bool float32) {
  std::vector<double> regs(instrs.size());
  for (size_t at = 0; at < instrs.size(); ++at) {
    const Instr& in = instrs[at];
    double v = 0;
    switch (in.op) {
      case OpKind::kTensor: v = inputs[in.slot].At(i, j); break;
      case OpKind::kScalar: v = float32 ? static_cast<float>(params[in.slot]) : params[in.slot]; break;
      case OpKind::kRowIndex: v = static_cast<double>(i); break;
      case OpKind::kColIndex: v = static_cast<double>(j); break;
      case OpKind::kReduced: v = reduced; break;
      case OpKind::kRand: {
        uint64_t key = static_cast<uint64_t>(params[in.slot]) | static_cast<uint64_t>(params[in.slot + 1]) << 32;
        uint64_t position = static_cast<uint64_t>(params[in.slot + 2]) + static_cast<uint64_t>(i * width + j);
        v = philox::Uniform(philox::Bits(key, position));
        break;
      }
      default:
        v = Info(in.op).arity == 1 ? ApplyUnary(in.op, regs[in.a]) : ApplyBinary(in.op, regs[in.a], regs[in.b]);
    }
    regs[at] = v;
  }
  return regs.back();
}

// Reference result of a FusedKernel, row-major over the output shape, in double.
inline std::vector<double> ReferenceRun(const FusedKernel& k, const std::vector<HostInput>& inputs,
                                        const std::vector<double>& params, int64_t rows, int64_t cols) {
  const bool f32 = k.compute_dtype == DType::kFloat32;
  if (!k.has_reduction) {
    std::vector<double> out(rows * cols);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) out[i * cols + j] = Evaluate(k.body, inputs, params, i, j, cols, 0, f32);
    return out;
  }
  const int axis = k.reduce_axis;
  const int64_t out_rows = axis == 1 ? rows : 1, out_cols = axis == 0 ? cols : 1;
  const int64_t n = axis == 1 ? cols : axis == 0 ? rows : rows * cols;
  std::vector<double> out(out_rows * out_cols);
  for (int64_t oi = 0; oi < out_rows; ++oi) {
    for (int64_t oj = 0; oj < out_cols; ++oj) {
      double acc = k.reduce_op == OpKind::kSum ? 0.0 : k.reduce_op == OpKind::kMax ? -INFINITY : INFINITY;
      int64_t best = -1;
      double best_value = 0;
      for (int64_t p = 0; p < n; ++p) {
        int64_t i = axis == 1 ? oi : axis == 0 ? p : p / cols;
        int64_t j = axis == 1 ? p : axis == 0 ? oj : p % cols;
        double v = Evaluate(k.body, inputs, params, i, j, cols, 0, f32);
        switch (k.reduce_op) {
          case OpKind::kSum: acc += v; break;
          case OpKind::kMax: acc = scalar::Maximum(acc, v); break;
          case OpKind::kMin: acc = scalar::Minimum(acc, v); break;
          default: {
            bool is_max = k.reduce_op == OpKind::kArgmax;
            bool better = best < 0 || (std::isnan(v) && !std::isnan(best_value)) ||
                          (!std::isnan(v) && !std::isnan(best_value) && (is_max ? v > best_value : v < best_value));
            if (better) {
              best = p;
              best_value = v;
            }
            acc = static_cast<double>(best);
          }
        }
      }
      out[oi * out_cols + oj] =
          k.epilogue.empty() ? acc : Evaluate(k.epilogue, inputs, params, oi, oj, out_cols, acc, f32);
    }
  }
  return out;
}

// Rounds reference values to what storing into `dtype` gives.
inline std::vector<double> AsStored(const std::vector<double>& values, DType dtype) {
  std::vector<double> out(values.size());
  for (size_t e = 0; e < values.size(); ++e) {
    out[e] = dtype == DType::kFloat32 ? static_cast<double>(static_cast<float>(values[e]))
             : dtype == DType::kInt32 ? static_cast<double>(ToInt32(values[e]))
                                      : values[e];
  }
  return out;
}

// NMSE = mse(got, want) / mse(want, 0) over finite positions; NaN and Inf
// positions (and signs of Inf) must match exactly.
inline void ExpectClose(const std::vector<double>& got, const std::vector<double>& want, double limit,
                        const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double err = 0, norm = 0;
  for (size_t e = 0; e < got.size(); ++e) {
    if (std::isnan(want[e]) || std::isinf(want[e])) {
      EXPECT_TRUE(std::isnan(want[e]) ? std::isnan(got[e]) : got[e] == want[e])
          << what << ": element " << e << " is " << got[e] << ", expected " << want[e];
      continue;
    }
    EXPECT_TRUE(std::isfinite(got[e])) << what << ": element " << e << " is " << got[e] << ", expected " << want[e];
    err += (got[e] - want[e]) * (got[e] - want[e]);
    norm += want[e] * want[e];
  }
  if (norm == 0) {
    EXPECT_EQ(err, 0) << what;
  } else {
    EXPECT_LE(err / norm, limit) << what << ": NMSE " << err / norm;
  }
}

inline std::vector<double> RandomValues(size_t count, double low, double high, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(low, high);
  std::vector<double> values(count);
  for (double& v : values) v = dist(gen);
  return values;
}

// Uploads `values` as dtype; returns the buffer.
inline std::shared_ptr<Buffer> UploadAs(Backend& be, const std::vector<double>& values, DType dtype) {
  if (dtype == DType::kFloat32) return Upload(be, std::vector<float>(values.begin(), values.end()));
  if (dtype == DType::kFloat64) return Upload(be, values);
  std::vector<int32_t> ints(values.size());
  for (size_t e = 0; e < values.size(); ++e) ints[e] = ToInt32(values[e]);
  return Upload(be, ints);
}

inline std::vector<double> DownloadAs(Backend& be, const Buffer& buffer, DType dtype) {
  if (dtype == DType::kFloat32) {
    auto v = Download<float>(be, buffer);
    return {v.begin(), v.end()};
  }
  if (dtype == DType::kFloat64) return Download<double>(be, buffer);
  auto v = Download<int32_t>(be, buffer);
  return {v.begin(), v.end()};
}

// One operand: values as stored (rounded to dtype) plus its view.
struct Operand {
  DType dtype;
  HostInput host;
  std::shared_ptr<Buffer> buffer;
};

inline Operand MakeOperand(Backend& be, std::vector<double> values, DType dtype, int64_t offset, int64_t rs, int64_t cs) {
  Operand op{dtype, {}, UploadAs(be, values, dtype)};
  op.host.values = DownloadAs(be, *op.buffer, dtype);
  op.host.offset = offset;
  op.host.row_stride = rs;
  op.host.col_stride = cs;
  return op;
}

}  // namespace neon::opencl_test
