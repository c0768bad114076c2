// Descriptors of the optional convolution, pooling and batch-norm ops
// (backends/backend.h): plain data like GemmArgs. Activations are in neon's
// layout, (C, H, W, N) with the batch innermost; filters are (K, C, R, S).
// Every tensor is contiguous.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace neon {

class Buffer;

// How a (C, H, W, N) activation operand is laid out in its buffer.
enum class ActivationLayout : uint8_t {
  kNeon,    // neon's (C, H, W, N), batch innermost: what op-trees, host copies and every backend read
  kDevice,  // the backend's own layout, offered by Backend::device_layout_block(); the same byte size
};

// A contiguous tensor in a device buffer (offset in elements).
struct BufferRef {
  Buffer* buffer = nullptr;
  int64_t offset = 0;
};

// Output size along one axis: (in + 2 pad - dilation (filter - 1) - 1) / stride + 1.
constexpr int64_t ConvOutputSize(int64_t in, int64_t filter, int64_t pad, int64_t stride, int64_t dilation) {
  return (in + 2 * pad - dilation * (filter - 1) - 1) / stride + 1;
}

struct ConvGeometry {
  int64_t n = 1, c = 1, h = 1, w = 1;  // input (C, H, W, N)
  int64_t k = 1, r = 1, s = 1;         // filters (K, C, R, S)
  int64_t p = 1, q = 1;                // output (K, P, Q, N)
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
};

// Which of the three convolution passes.
enum class ConvPass : uint8_t { kFprop, kBpropData, kBpropFilter };

// conv_fprop:        dst = conv(src, filter)
// conv_bprop_data:   src = d loss / d src, from dst = d loss / d dst and filter
// conv_bprop_filter: filter = d loss / d filter, from src and dst = d loss / d dst
// The written tensor is overwritten (not accumulated).
struct ConvArgs {
  DType dtype = DType::kFloat32;  // float32 or float64, every tensor
  ConvGeometry geometry;
  BufferRef src;     // (C, H, W, N)
  BufferRef filter;  // (K, C, R, S)
  BufferRef dst;     // (K, P, Q, N)
  ActivationLayout src_layout = ActivationLayout::kNeon;  // of src (or its gradient)
  ActivationLayout dst_layout = ActivationLayout::kNeon;  // of dst (or its gradient)
};

enum class PoolOp : uint8_t {
  kMax,  // the largest element of the window (padding never wins)
  kAvg,  // the mean of the window's elements inside the input (padding not counted)
};

struct PoolGeometry {
  int64_t n = 1, c = 1, h = 1, w = 1;  // input (C, H, W, N)
  int64_t r = 1, s = 1;                // window
  int64_t p = 1, q = 1;                // output (C, P, Q, N)
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
};

// pool_fprop: dst = pool(src); for kMax also argmax = the index h * W + w (in its channel)
//             of the chosen element, int32, (C, P, Q, N), -1 for a window of padding only.
// pool_bprop: src = d loss / d src from dst = d loss / d dst (and argmax for kMax).
struct PoolArgs {
  DType dtype = DType::kFloat32;
  PoolOp op = PoolOp::kMax;
  PoolGeometry geometry;
  BufferRef src;     // (C, H, W, N)
  BufferRef dst;     // (C, P, Q, N)
  BufferRef argmax;  // (C, P, Q, N) int32, kMax only; its contents are the backend's own in the device layout
  ActivationLayout src_layout = ActivationLayout::kNeon;
  ActivationLayout dst_layout = ActivationLayout::kNeon;
};

// Batch normalisation per channel over activations seen as (C, E): E = H * W * N for conv
// activations (C, H, W, N), E = N for (features, batch). Per-channel tensors are (C).
// With xhat = (src - mean) / sqrt(var + epsilon), var the population variance (divides by E):
// batch_norm_fprop: dst = xhat * gamma + beta. Training (inference false) also writes the
//                   batch mean and var; inference reads them (the running statistics).
// batch_norm_bprop: from diff_dst and the mean and var the training fprop wrote,
//                   diff_gamma = sum(diff_dst * xhat), diff_beta = sum(diff_dst),
//                   diff_src = gamma / sqrt(var + epsilon) * (diff_dst - (xhat diff_gamma + diff_beta) / E).
// Written tensors are overwritten; diff_src may be diff_dst (in place).
struct BatchNormArgs {
  DType dtype = DType::kFloat32;  // float32 or float64, every tensor
  int64_t channels = 1;           // C
  int64_t elements = 1;           // E, per channel
  double epsilon = 1e-3;
  bool inference = false;         // fprop only
  // kDevice: every (C, E) operand holds (C, H, W, N) activations with E = H * W * N in the
  // backend's own layout; `batch` is N then.
  ActivationLayout layout = ActivationLayout::kNeon;
  int64_t batch = 0;
  BufferRef src;                  // (C, E)
  BufferRef dst;                  // (C, E), fprop
  BufferRef gamma, beta;          // (C)
  BufferRef mean, var;            // (C)
  BufferRef diff_dst, diff_src;   // (C, E), bprop
  BufferRef diff_gamma, diff_beta;  // (C), bprop
};

}  // namespace neon
