// Convolution, pooling and batch norm as plain loops in double on host arrays: the spec the
// reference backend runs, and the default every other backend inherits
// (RunOnHost: copy the operands out, run the loops, copy the result in, with a
// one-time warning that the op is not native). Layouts are those of conv_args.h.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/backend.h"

namespace neon::host_ops {

void ConvFprop(const ConvGeometry& g, const double* src, const double* filter, double* dst);
void ConvBpropData(const ConvGeometry& g, const double* dst, const double* filter, double* src);
void ConvBpropFilter(const ConvGeometry& g, const double* src, const double* dst, double* filter);
// Pooling for T = float or double (sums in double). A channel's data is contiguous, so a
// caller may run a channel range by offsetting the pointers and setting g.c.
template <typename T>
void PoolFprop(PoolOp op, const PoolGeometry& g, const T* src, T* dst, int32_t* argmax);
// Expects argmax checked by CheckArgmax.
template <typename T>
void PoolBprop(PoolOp op, const PoolGeometry& g, const T* dst, const int32_t* argmax, T* src);
// Throws ArgumentError unless every argmax index is -1 or inside its channel's H x W input.
void CheckArgmax(const PoolGeometry& g, const int32_t* argmax);

// Batch norm over (C, E) arrays as conv_args.h defines it; sizes, epsilon and inference come
// from `args` (its buffers are not used). Safe with diff_src == diff_dst.
void BatchNormFprop(const BatchNormArgs& args, const double* src, const double* gamma, const double* beta,
                    double* mean, double* var, double* dst);
void BatchNormBprop(const BatchNormArgs& args, const double* src, const double* gamma, const double* mean,
                    const double* var, const double* diff_dst, double* diff_src, double* diff_gamma,
                    double* diff_beta);

// Checks geometry (sizes >= 1, output sizes consistent), that every operand fits its
// buffer, and that operands in the device layout have a channel count that is a multiple of
// `device_block` (the caller's Backend::device_layout_block; 0: no device layout, as on the
// host paths); throws ArgumentError naming the op and the numbers.
void CheckConv(const ConvArgs& args, const char* op, int64_t device_block = 0);
void CheckPool(const PoolArgs& args, const char* op, int64_t device_block = 0);
void CheckBatchNorm(const BatchNormArgs& args, bool bprop, int64_t device_block = 0);

// The default implementations: through copy_out / copy_in on `backend`. `warn` prints,
// once per op and process, that `backend` runs the op on the host.
void ConvOnHost(Backend& backend, const ConvArgs& args, ConvPass pass, bool warn);
void PoolOnHost(Backend& backend, const PoolArgs& args, bool bprop, bool warn);
void BatchNormOnHost(Backend& backend, const BatchNormArgs& args, bool bprop, bool warn);

}  // namespace neon::host_ops
