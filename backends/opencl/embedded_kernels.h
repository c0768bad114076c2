// The hand-written OpenCL C helpers in kernels/*.cl, embedded into the binary
// by one genrule (see BUILD), looked up by file name.
#pragma once

#include <string_view>

namespace neon::opencl {

// Text of kernels/<name> (e.g. "philox.cl"); ArgumentError for an unknown name.
std::string_view EmbeddedKernelSource(std::string_view name);

}  // namespace neon::opencl
