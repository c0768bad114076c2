#include "backends/host_ops.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "backends/validate.h"
#include "core/error.h"

namespace neon::host_ops {

namespace {

int64_t Index4(int64_t a, int64_t b, int64_t c, int64_t d, int64_t B, int64_t C, int64_t D) {
  return ((a * B + b) * C + c) * D + d;
}

}  // namespace

void ConvFprop(const ConvGeometry& g, const double* src, const double* filter, double* dst) {
  std::vector<double> acc(static_cast<size_t>(g.n));
  for (int64_t k = 0; k < g.k; ++k) {
    for (int64_t p = 0; p < g.p; ++p) {
      for (int64_t q = 0; q < g.q; ++q) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t c = 0; c < g.c; ++c) {
          for (int64_t r = 0; r < g.r; ++r) {
            int64_t h = p * g.stride_h - g.pad_h + r * g.dilation_h;
            if (h < 0 || h >= g.h) continue;
            for (int64_t s = 0; s < g.s; ++s) {
              int64_t w = q * g.stride_w - g.pad_w + s * g.dilation_w;
              if (w < 0 || w >= g.w) continue;
              double f = filter[Index4(k, c, r, s, g.c, g.r, g.s)];
              const double* x = src + Index4(c, h, w, 0, g.h, g.w, g.n);
              for (int64_t n = 0; n < g.n; ++n) acc[n] += f * x[n];
            }
          }
        }
        std::copy(acc.begin(), acc.end(), dst + Index4(k, p, q, 0, g.p, g.q, g.n));
      }
    }
  }
}

void ConvBpropData(const ConvGeometry& g, const double* dst, const double* filter, double* src) {
  std::fill(src, src + g.c * g.h * g.w * g.n, 0.0);
  for (int64_t k = 0; k < g.k; ++k) {
    for (int64_t p = 0; p < g.p; ++p) {
      for (int64_t q = 0; q < g.q; ++q) {
        const double* e = dst + Index4(k, p, q, 0, g.p, g.q, g.n);
        for (int64_t c = 0; c < g.c; ++c) {
          for (int64_t r = 0; r < g.r; ++r) {
            int64_t h = p * g.stride_h - g.pad_h + r * g.dilation_h;
            if (h < 0 || h >= g.h) continue;
            for (int64_t s = 0; s < g.s; ++s) {
              int64_t w = q * g.stride_w - g.pad_w + s * g.dilation_w;
              if (w < 0 || w >= g.w) continue;
              double f = filter[Index4(k, c, r, s, g.c, g.r, g.s)];
              double* x = src + Index4(c, h, w, 0, g.h, g.w, g.n);
              for (int64_t n = 0; n < g.n; ++n) x[n] += f * e[n];
            }
          }
        }
      }
    }
  }
}

void ConvBpropFilter(const ConvGeometry& g, const double* src, const double* dst, double* filter) {
  for (int64_t k = 0; k < g.k; ++k) {
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t r = 0; r < g.r; ++r) {
        for (int64_t s = 0; s < g.s; ++s) {
          double acc = 0.0;
          for (int64_t p = 0; p < g.p; ++p) {
            int64_t h = p * g.stride_h - g.pad_h + r * g.dilation_h;
            if (h < 0 || h >= g.h) continue;
            for (int64_t q = 0; q < g.q; ++q) {
              int64_t w = q * g.stride_w - g.pad_w + s * g.dilation_w;
              if (w < 0 || w >= g.w) continue;
              const double* x = src + Index4(c, h, w, 0, g.h, g.w, g.n);
              const double* e = dst + Index4(k, p, q, 0, g.p, g.q, g.n);
              for (int64_t n = 0; n < g.n; ++n) acc += x[n] * e[n];
            }
          }
          filter[Index4(k, c, r, s, g.c, g.r, g.s)] = acc;
        }
      }
    }
  }
}

template <typename T>
void PoolFprop(PoolOp op, const PoolGeometry& g, const T* src, T* dst, int32_t* argmax) {
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t p = 0; p < g.p; ++p) {
      for (int64_t q = 0; q < g.q; ++q) {
        for (int64_t n = 0; n < g.n; ++n) {
          double best = 0.0, total = 0.0;
          int64_t chosen = -1, count = 0;
          for (int64_t r = 0; r < g.r; ++r) {
            int64_t h = p * g.stride_h - g.pad_h + r;
            if (h < 0 || h >= g.h) continue;
            for (int64_t s = 0; s < g.s; ++s) {
              int64_t w = q * g.stride_w - g.pad_w + s;
              if (w < 0 || w >= g.w) continue;
              double value = src[Index4(c, h, w, n, g.h, g.w, g.n)];
              if (chosen < 0 || value > best) {  // the first largest wins ties
                best = value;
                chosen = h * g.w + w;
              }
              total += value;
              ++count;
            }
          }
          int64_t out = Index4(c, p, q, n, g.p, g.q, g.n);
          if (op == PoolOp::kMax) {
            dst[out] = static_cast<T>(best);
            argmax[out] = static_cast<int32_t>(chosen);
          } else {
            dst[out] = static_cast<T>(count == 0 ? 0.0 : total / static_cast<double>(count));
          }
        }
      }
    }
  }
}

void CheckArgmax(const PoolGeometry& g, const int32_t* argmax) {
  int64_t count = g.c * g.p * g.q * g.n;
  for (int64_t i = 0; i < count; ++i) {
    if (argmax[i] < -1 || argmax[i] >= g.h * g.w) {
      throw ArgumentError("pool_bprop: argmax " + std::to_string(argmax[i]) + " is outside the " +
                          std::to_string(g.h) + " x " + std::to_string(g.w) + " input");
    }
  }
}

template <typename T>
void PoolBprop(PoolOp op, const PoolGeometry& g, const T* dst, const int32_t* argmax, T* src) {
  std::fill(src, src + g.c * g.h * g.w * g.n, T(0));
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t p = 0; p < g.p; ++p) {
      for (int64_t q = 0; q < g.q; ++q) {
        for (int64_t n = 0; n < g.n; ++n) {
          int64_t out = Index4(c, p, q, n, g.p, g.q, g.n);
          if (op == PoolOp::kMax) {
            if (argmax[out] >= 0) src[(c * g.h * g.w + argmax[out]) * g.n + n] += dst[out];
            continue;
          }
          int64_t h0 = std::max<int64_t>(p * g.stride_h - g.pad_h, 0);
          int64_t h1 = std::min<int64_t>(p * g.stride_h - g.pad_h + g.r, g.h);
          int64_t w0 = std::max<int64_t>(q * g.stride_w - g.pad_w, 0);
          int64_t w1 = std::min<int64_t>(q * g.stride_w - g.pad_w + g.s, g.w);
          int64_t count = std::max<int64_t>(h1 - h0, 0) * std::max<int64_t>(w1 - w0, 0);
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) src[Index4(c, h, w, n, g.h, g.w, g.n)] += dst[out] / T(count);
          }
        }
      }
    }
  }
}

void BatchNormFprop(const BatchNormArgs& args, const double* src, const double* gamma, const double* beta,
                    double* mean, double* var, double* dst) {
  const int64_t e = args.elements;
  for (int64_t c = 0; c < args.channels; ++c) {
    const double* x = src + c * e;
    if (!args.inference) {
      double total = 0.0;
      for (int64_t i = 0; i < e; ++i) total += x[i];
      mean[c] = total / static_cast<double>(e);
      double squares = 0.0;  // around the mean: no cancellation for large means
      for (int64_t i = 0; i < e; ++i) squares += (x[i] - mean[c]) * (x[i] - mean[c]);
      var[c] = squares / static_cast<double>(e);
    }
    double inv_std = 1.0 / std::sqrt(var[c] + args.epsilon);
    for (int64_t i = 0; i < e; ++i) dst[c * e + i] = (x[i] - mean[c]) * inv_std * gamma[c] + beta[c];
  }
}

void BatchNormBprop(const BatchNormArgs& args, const double* src, const double* gamma, const double* mean,
                    const double* var, const double* diff_dst, double* diff_src, double* diff_gamma,
                    double* diff_beta) {
  const int64_t e = args.elements;
  for (int64_t c = 0; c < args.channels; ++c) {
    const double* x = src + c * e;
    const double* dy = diff_dst + c * e;
    double inv_std = 1.0 / std::sqrt(var[c] + args.epsilon);
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t i = 0; i < e; ++i) {
      sum_dy += dy[i];
      sum_dy_xhat += dy[i] * (x[i] - mean[c]) * inv_std;
    }
    diff_gamma[c] = sum_dy_xhat;
    diff_beta[c] = sum_dy;
    for (int64_t i = 0; i < e; ++i) {
      double xhat = (x[i] - mean[c]) * inv_std;
      diff_src[c * e + i] = gamma[c] * inv_std * (dy[i] - (xhat * sum_dy_xhat + sum_dy) / static_cast<double>(e));
    }
  }
}

template void PoolFprop<float>(PoolOp, const PoolGeometry&, const float*, float*, int32_t*);
template void PoolFprop<double>(PoolOp, const PoolGeometry&, const double*, double*, int32_t*);
template void PoolBprop<float>(PoolOp, const PoolGeometry&, const float*, const int32_t*, float*);
template void PoolBprop<double>(PoolOp, const PoolGeometry&, const double*, const int32_t*, double*);

namespace {

// a * b * ..., or an ArgumentError when a factor is < 1 or the product overflows.
int64_t Count(std::initializer_list<int64_t> dims, const char* op) {
  int64_t count = 1;
  for (int64_t dim : dims) {
    if (dim < 1 || count > std::numeric_limits<int32_t>::max() / dim) {
      throw ArgumentError(std::string(op) + ": a size is < 1 or the tensor has more than 2^31 elements");
    }
    count *= dim;
  }
  return count;
}

void CheckDType(DType dtype, const char* op) {
  if (dtype != DType::kFloat32 && dtype != DType::kFloat64) {
    throw ArgumentError(std::string(op) + ": dtype " + std::string(DTypeName(dtype)) + ", expected float32 or float64");
  }
}

void CheckOperand(const BufferRef& ref, int64_t count, size_t element_size, const std::string& what) {
  if (ref.buffer == nullptr) throw ArgumentError(what + ": no buffer");
  if (ref.offset < 0) throw ArgumentError(what + ": negative offset");
  CheckByteRange(*ref.buffer, static_cast<size_t>(ref.offset) * element_size,
                 static_cast<size_t>(count) * element_size, what);
}

std::string Geometry(const ConvGeometry& g) {
  return "input (" + std::to_string(g.c) + ", " + std::to_string(g.h) + ", " + std::to_string(g.w) + ", " +
         std::to_string(g.n) + "), filters (" + std::to_string(g.k) + ", " + std::to_string(g.c) + ", " +
         std::to_string(g.r) + ", " + std::to_string(g.s) + "), output (" + std::to_string(g.k) + ", " +
         std::to_string(g.p) + ", " + std::to_string(g.q) + ", " + std::to_string(g.n) + ")";
}

void CheckLayout(ActivationLayout layout, int64_t channels, int64_t device_block, const std::string& what) {
  if (layout == ActivationLayout::kNeon) return;
  if (layout != ActivationLayout::kDevice) throw ArgumentError(what + ": unknown activation layout");
  if (device_block <= 0) {
    throw ArgumentError(what + " is in the device layout, which this backend (or its host path) does not offer");
  }
  if (channels % device_block != 0) {
    throw ArgumentError(what + " is in the device layout with " + std::to_string(channels) +
                        " channels, which must be a multiple of " + std::to_string(device_block));
  }
}

}  // namespace

void CheckConv(const ConvArgs& args, const char* op, int64_t device_block) {
  const ConvGeometry& g = args.geometry;
  CheckDType(args.dtype, op);
  bool steps_ok = g.stride_h >= 1 && g.stride_w >= 1 && g.dilation_h >= 1 && g.dilation_w >= 1 && g.pad_h >= 0 &&
                  g.pad_w >= 0;
  if (!steps_ok || g.p != ConvOutputSize(g.h, g.r, g.pad_h, g.stride_h, g.dilation_h) ||
      g.q != ConvOutputSize(g.w, g.s, g.pad_w, g.stride_w, g.dilation_w)) {
    throw ArgumentError(std::string(op) + ": inconsistent geometry " + Geometry(g) + " with stride (" +
                        std::to_string(g.stride_h) + ", " + std::to_string(g.stride_w) + "), padding (" +
                        std::to_string(g.pad_h) + ", " + std::to_string(g.pad_w) + "), dilation (" +
                        std::to_string(g.dilation_h) + ", " + std::to_string(g.dilation_w) + ")");
  }
  size_t size = SizeOf(args.dtype);
  CheckOperand(args.src, Count({g.c, g.h, g.w, g.n}, op), size, std::string(op) + " src");
  CheckOperand(args.filter, Count({g.k, g.c, g.r, g.s}, op), size, std::string(op) + " filter");
  CheckOperand(args.dst, Count({g.k, g.p, g.q, g.n}, op), size, std::string(op) + " dst");
  CheckLayout(args.src_layout, g.c, device_block, std::string(op) + " src");
  CheckLayout(args.dst_layout, g.k, device_block, std::string(op) + " dst");
}

void CheckPool(const PoolArgs& args, const char* op, int64_t device_block) {
  const PoolGeometry& g = args.geometry;
  CheckDType(args.dtype, op);
  bool ok = g.stride_h >= 1 && g.stride_w >= 1 && g.pad_h >= 0 && g.pad_w >= 0 && g.pad_h < g.r && g.pad_w < g.s &&
            g.p == ConvOutputSize(g.h, g.r, g.pad_h, g.stride_h, 1) && g.q == ConvOutputSize(g.w, g.s, g.pad_w, g.stride_w, 1);
  if (!ok) {
    throw ArgumentError(std::string(op) + ": inconsistent geometry: input (" + std::to_string(g.h) + ", " +
                        std::to_string(g.w) + "), window (" + std::to_string(g.r) + ", " + std::to_string(g.s) +
                        "), output (" + std::to_string(g.p) + ", " + std::to_string(g.q) + ")");
  }
  size_t size = SizeOf(args.dtype);
  CheckOperand(args.src, Count({g.c, g.h, g.w, g.n}, op), size, std::string(op) + " src");
  CheckOperand(args.dst, Count({g.c, g.p, g.q, g.n}, op), size, std::string(op) + " dst");
  if (args.op == PoolOp::kMax) CheckOperand(args.argmax, Count({g.c, g.p, g.q, g.n}, op), 4, std::string(op) + " argmax");
  CheckLayout(args.src_layout, g.c, device_block, std::string(op) + " src");
  CheckLayout(args.dst_layout, g.c, device_block, std::string(op) + " dst");
}

void CheckBatchNorm(const BatchNormArgs& args, bool bprop, int64_t device_block) {
  const char* op = bprop ? "batch_norm_bprop" : "batch_norm_fprop";
  CheckDType(args.dtype, op);
  if (!(args.epsilon > 0.0) || !std::isfinite(args.epsilon)) {
    throw ArgumentError(std::string(op) + ": epsilon " + std::to_string(args.epsilon) + ", expected finite and > 0");
  }
  int64_t count = Count({args.channels, args.elements}, op);
  size_t size = SizeOf(args.dtype);
  auto operand = [&](const BufferRef& ref, int64_t elements, const char* what) {
    CheckOperand(ref, elements, size, std::string(op) + " " + what);
  };
  operand(args.src, count, "src");
  operand(args.gamma, args.channels, "gamma");
  operand(args.mean, args.channels, "mean");
  operand(args.var, args.channels, "var");
  if (bprop) {
    operand(args.diff_dst, count, "diff_dst");
    operand(args.diff_src, count, "diff_src");
    operand(args.diff_gamma, args.channels, "diff_gamma");
    operand(args.diff_beta, args.channels, "diff_beta");
  } else {
    operand(args.beta, args.channels, "beta");
    operand(args.dst, count, "dst");
  }
  CheckLayout(args.layout, args.channels, device_block, std::string(op) + " activations");
  if (args.layout == ActivationLayout::kDevice && (args.batch < 1 || args.elements % args.batch != 0)) {
    throw ArgumentError(std::string(op) + ": batch " + std::to_string(args.batch) + " does not divide the " +
                        std::to_string(args.elements) + " elements per channel of device-layout activations");
  }
}

namespace {

std::vector<double> Read(Backend& backend, const BufferRef& ref, int64_t count, DType dtype) {
  std::vector<double> values(static_cast<size_t>(count));
  if (dtype == DType::kFloat64) {
    backend.copy_out(*ref.buffer, static_cast<size_t>(ref.offset) * 8, values.data(), values.size() * 8);
    return values;
  }
  std::vector<float> floats(values.size());
  backend.copy_out(*ref.buffer, static_cast<size_t>(ref.offset) * 4, floats.data(), floats.size() * 4);
  std::copy(floats.begin(), floats.end(), values.begin());
  return values;
}

void Write(Backend& backend, const BufferRef& ref, const std::vector<double>& values, DType dtype) {
  if (dtype == DType::kFloat64) {
    backend.copy_in(*ref.buffer, static_cast<size_t>(ref.offset) * 8, values.data(), values.size() * 8);
    return;
  }
  std::vector<float> floats(values.begin(), values.end());
  backend.copy_in(*ref.buffer, static_cast<size_t>(ref.offset) * 4, floats.data(), floats.size() * 4);
}

void WarnOnce(Backend& backend, std::atomic<bool>& warned, const char* op) {
  if (!warned.exchange(true)) {
    std::fprintf(stderr, "neon: backend '%s' has no native %s; running it on the host through copies (slow)\n",
                 backend.info().name.c_str(), op);
  }
}

}  // namespace

void ConvOnHost(Backend& backend, const ConvArgs& args, ConvPass pass, bool warn) {
  static std::atomic<bool> warned[3];
  static const char* const kNames[] = {"conv_fprop", "conv_bprop_data", "conv_bprop_filter"};
  const char* op = kNames[static_cast<int>(pass)];
  CheckConv(args, op);
  if (warn) WarnOnce(backend, warned[static_cast<int>(pass)], op);
  const ConvGeometry& g = args.geometry;
  // Each pass reads two of (src, filter, dst) and writes the third.
  const BufferRef* refs[] = {&args.src, &args.filter, &args.dst};
  const int64_t counts[] = {g.c * g.h * g.w * g.n, g.k * g.c * g.r * g.s, g.k * g.p * g.q * g.n};
  const int out = pass == ConvPass::kFprop ? 2 : pass == ConvPass::kBpropData ? 0 : 1;
  std::vector<double> operands[3];
  for (int i = 0; i < 3; ++i) {
    operands[i] = i == out ? std::vector<double>(static_cast<size_t>(counts[i]))
                           : Read(backend, *refs[i], counts[i], args.dtype);
  }
  double* src = operands[0].data();
  double* filter = operands[1].data();
  double* dst = operands[2].data();
  switch (pass) {
    case ConvPass::kFprop: ConvFprop(g, src, filter, dst); break;
    case ConvPass::kBpropData: ConvBpropData(g, dst, filter, src); break;
    case ConvPass::kBpropFilter: ConvBpropFilter(g, src, dst, filter); break;
  }
  Write(backend, *refs[out], operands[out], args.dtype);
}

void PoolOnHost(Backend& backend, const PoolArgs& args, bool bprop, bool warn) {
  static std::atomic<bool> warned[2];
  const char* op = bprop ? "pool_bprop" : "pool_fprop";
  CheckPool(args, op);
  if (warn) WarnOnce(backend, warned[bprop ? 1 : 0], op);
  const PoolGeometry& g = args.geometry;
  int64_t src_count = g.c * g.h * g.w * g.n, dst_count = g.c * g.p * g.q * g.n;
  std::vector<int32_t> argmax(static_cast<size_t>(args.op == PoolOp::kMax ? dst_count : 0));
  if (!bprop) {
    std::vector<double> dst(static_cast<size_t>(dst_count));
    PoolFprop<double>(args.op, g, Read(backend, args.src, src_count, args.dtype).data(), dst.data(), argmax.data());
    Write(backend, args.dst, dst, args.dtype);
    if (args.op == PoolOp::kMax) {
      backend.copy_in(*args.argmax.buffer, static_cast<size_t>(args.argmax.offset) * 4, argmax.data(), argmax.size() * 4);
    }
    return;
  }
  if (args.op == PoolOp::kMax) {
    backend.copy_out(*args.argmax.buffer, static_cast<size_t>(args.argmax.offset) * 4, argmax.data(), argmax.size() * 4);
  }
  if (args.op == PoolOp::kMax) CheckArgmax(g, argmax.data());
  std::vector<double> src(static_cast<size_t>(src_count));
  PoolBprop<double>(args.op, g, Read(backend, args.dst, dst_count, args.dtype).data(), argmax.data(), src.data());
  Write(backend, args.src, src, args.dtype);
}

void BatchNormOnHost(Backend& backend, const BatchNormArgs& args, bool bprop, bool warn) {
  static std::atomic<bool> warned[2];
  CheckBatchNorm(args, bprop);
  if (warn) WarnOnce(backend, warned[bprop ? 1 : 0], bprop ? "batch_norm_bprop" : "batch_norm_fprop");
  const int64_t c = args.channels, count = args.channels * args.elements;
  std::vector<double> src = Read(backend, args.src, count, args.dtype);
  std::vector<double> gamma = Read(backend, args.gamma, c, args.dtype);
  std::vector<double> mean(static_cast<size_t>(c)), var(static_cast<size_t>(c));
  if (bprop || args.inference) {
    mean = Read(backend, args.mean, c, args.dtype);
    var = Read(backend, args.var, c, args.dtype);
  }
  if (bprop) {
    std::vector<double> diff_dst = Read(backend, args.diff_dst, count, args.dtype);
    std::vector<double> diff_src(diff_dst.size()), diff_gamma(gamma.size()), diff_beta(gamma.size());
    BatchNormBprop(args, src.data(), gamma.data(), mean.data(), var.data(), diff_dst.data(), diff_src.data(),
                   diff_gamma.data(), diff_beta.data());
    Write(backend, args.diff_src, diff_src, args.dtype);
    Write(backend, args.diff_gamma, diff_gamma, args.dtype);
    Write(backend, args.diff_beta, diff_beta, args.dtype);
    return;
  }
  std::vector<double> dst(src.size());
  BatchNormFprop(args, src.data(), gamma.data(), Read(backend, args.beta, c, args.dtype).data(), mean.data(),
                 var.data(), dst.data());
  Write(backend, args.dst, dst, args.dtype);
  if (!args.inference) {
    Write(backend, args.mean, mean, args.dtype);
    Write(backend, args.var, var, args.dtype);
  }
}

}  // namespace neon::host_ops
