// Convolution and pooling as plain loops in double on host arrays: the spec the
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
void PoolFprop(PoolOp op, const PoolGeometry& g, const double* src, double* dst, int32_t* argmax);
void PoolBprop(PoolOp op, const PoolGeometry& g, const double* dst, const int32_t* argmax, double* src);

// Checks geometry (sizes >= 1, output sizes consistent) and that every operand fits its
// buffer; throws ArgumentError naming the op and the numbers.
void CheckConv(const ConvArgs& args, const char* op);
void CheckPool(const PoolArgs& args, const char* op);

// The default implementations: through copy_out / copy_in on `backend`. `warn` prints,
// once per op and process, that `backend` runs the op on the host.
void ConvOnHost(Backend& backend, const ConvArgs& args, ConvPass pass, bool warn);
void PoolOnHost(Backend& backend, const PoolArgs& args, bool bprop, bool warn);

}  // namespace neon::host_ops
