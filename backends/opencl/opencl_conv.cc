// OpenCLBackend convolution and pooling. Convolution is GEMM on a column
// matrix (kernels/conv.cl builds it, CLBlast multiplies), a chunk of output
// positions at a time so the workspace stays within conv_workspace_bytes (or
// holds one output position's columns for the whole batch, when that is larger).
// CLBlast's own Convgemm does not fit: it wants the batch outermost (N, C, H, W)
// and does forward only, while neon keeps (C, H, W, N) and needs all three passes.
// Pooling runs kernels/pool.cl. Everything is enqueued under mutex_ on the one
// in-order queue, so the shared workspace is never used by two passes at once.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "backends/host_ops.h"
#include "backends/opencl/embedded_kernels.h"
#include "backends/opencl/opencl_backend.h"
#include "core/error.h"

namespace neon {

using opencl::CheckCl;

namespace {

const char* const kConvNames[] = {"conv_fprop", "conv_bprop_data", "conv_bprop_filter"};

template <typename T>
void SetArg(cl_kernel kernel, cl_uint& index, const T& value) {
  CheckCl(clSetKernelArg(kernel, index, sizeof(T), &value), "clSetKernelArg " + std::to_string(index));
  ++index;
}

// The kernels index in int: every size, and the padded extents they step through, must fit.
void CheckInt32(std::initializer_list<int64_t> values, const char* op) {
  for (int64_t value : values) {
    if (value > std::numeric_limits<int32_t>::max()) {
      throw ArgumentError(std::string(op) + ": a size, stride, padding or dilation of " + std::to_string(value) +
                          " is beyond 2^31 - 1; expected the geometry to fit in 32-bit integers");
    }
  }
}

// NEON_CONV_GEOMETRY of kernels/conv.cl, in its order.
void SetConvGeometry(cl_kernel kernel, cl_uint& index, const ConvGeometry& g) {
  for (int64_t value : {g.c, g.h, g.w, g.n, g.r, g.s, g.p, g.q, g.stride_h, g.stride_w, g.pad_h, g.pad_w,
                        g.dilation_h, g.dilation_w}) {
    SetArg<cl_int>(kernel, index, static_cast<cl_int>(value));
  }
}

// NEON_POOL_GEOMETRY of kernels/pool.cl, in its order.
void SetPoolGeometry(cl_kernel kernel, cl_uint& index, const PoolGeometry& g) {
  for (int64_t value : {g.c, g.h, g.w, g.n, g.r, g.s, g.p, g.q, g.stride_h, g.stride_w, g.pad_h, g.pad_w}) {
    SetArg<cl_int>(kernel, index, static_cast<cl_int>(value));
  }
}

}  // namespace

bool OpenCLBackend::supports(std::string_view feature) const {
  return feature == "conv_fprop" || feature == "conv_bprop_data" || feature == "conv_bprop_filter" ||
         feature == "pool_fprop" || feature == "pool_bprop";
}

OpenCLBackend::ConvKernels& OpenCLBackend::ConvProgram(DType dtype, const char* op) {
  auto found = conv_.find(dtype);
  if (found != conv_.end()) return found->second;
  const bool is_double = dtype == DType::kFloat64;
  if (is_double && !device_.info.supports_float64) {
    throw BackendError(std::string(op) + ": OpenCL device '" + device_.device_name +
                       "' has no cl_khr_fp64; expected float32 operands on this device");
  }
  std::string source = is_double ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n#define REAL double\n"
                                 : "#define REAL float\n";
  source += opencl::EmbeddedKernelSource("conv.cl");
  source += opencl::EmbeddedKernelSource("pool.cl");
  ConvKernels kernels;
  kernels.program = programs_->Get(source, "", "conv.cl + pool.cl (" + std::string(DTypeName(dtype)) + ")");
  auto make = [&](const char* name) {
    cl_int status = CL_SUCCESS;
    opencl::KernelHandle kernel(clCreateKernel(kernels.program.get(), name, &status));
    CheckCl(status, std::string("clCreateKernel ") + name);
    return kernel;
  };
  kernels.im2col = make("neon_im2col");
  kernels.col2im = make("neon_col2im");
  kernels.max_pool_fprop = make("neon_max_pool_fprop");
  kernels.avg_pool_fprop = make("neon_avg_pool_fprop");
  kernels.max_pool_bprop = make("neon_max_pool_bprop");
  kernels.avg_pool_bprop = make("neon_avg_pool_bprop");
  return conv_.emplace(dtype, std::move(kernels)).first->second;
}

cl_mem OpenCLBackend::ConvWorkspace(size_t bytes) {
  if (!conv_workspace_ || conv_workspace_->size_bytes() < bytes) conv_workspace_ = allocate(bytes);
  return Mem(*conv_workspace_);
}

void OpenCLBackend::conv_fprop(const ConvArgs& args) { Conv(args, ConvPass::kFprop); }
void OpenCLBackend::conv_bprop_data(const ConvArgs& args) { Conv(args, ConvPass::kBpropData); }
void OpenCLBackend::conv_bprop_filter(const ConvArgs& args) { Conv(args, ConvPass::kBpropFilter); }

void OpenCLBackend::Conv(const ConvArgs& args, ConvPass pass) {
  const char* op = kConvNames[static_cast<int>(pass)];
  host_ops::CheckConv(args, op);
  const ConvGeometry& g = args.geometry;
  CheckInt32({g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, g.h + 2 * g.pad_h, g.w + 2 * g.pad_w}, op);
  cl_mem src = Mem(*args.src.buffer);
  Mem(*args.filter.buffer);   // ArgumentError for a foreign buffer
  Mem(*args.dst.buffer);
  const size_t element = SizeOf(args.dtype);
  const int64_t rows = g.c * g.r * g.s;        // of the column matrix: one per (c, r, s)
  const int64_t positions = g.p * g.q * g.n;   // its columns: one per (p, q, n)
  // 1x1 filters, stride 1, no padding: the column matrix is src itself.
  const bool direct = g.r == 1 && g.s == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 && g.pad_w == 0;
  // Chunks of whole batches of columns (kernels/conv.cl); at least one output position.
  const int64_t chunk =
      direct ? positions
             : g.n * std::clamp<int64_t>(static_cast<int64_t>(conv_workspace_limit_ / (rows * g.n * element)), 1,
                                         g.p * g.q);

  std::lock_guard<std::mutex> lock(mutex_);
  ConvKernels& kernels = ConvProgram(args.dtype, op);
  cl_mem col = direct ? src : ConvWorkspace(static_cast<size_t>(rows * chunk) * element);
  Buffer* col_buffer = direct ? args.src.buffer : conv_workspace_.get();
  if (pass == ConvPass::kBpropData && !direct) {
    // col2im accumulates chunk by chunk into src.
    const double zero = 0.0;
    CheckCl(clEnqueueFillBuffer(queue_.get(), src, &zero, element, static_cast<size_t>(args.src.offset) * element,
                                static_cast<size_t>(g.c * g.h * g.w * g.n) * element, 0, nullptr, nullptr),
            std::string("clEnqueueFillBuffer (") + op + ")");
  }
  auto im2col = [&](int64_t begin, int64_t cols) {
    cl_kernel kernel = kernels.im2col.get();
    cl_uint index = 0;
    SetArg(kernel, index, src);
    SetArg<cl_long>(kernel, index, args.src.offset);
    SetArg(kernel, index, col);
    SetArg<cl_long>(kernel, index, begin);
    SetArg<cl_long>(kernel, index, cols);
    SetConvGeometry(kernel, index, g);
    Launch2D(kernel, GroupLimit(kernel), rows, cols / g.n, "clEnqueueNDRangeKernel (im2col)");
  };
  auto col2im = [&](int64_t begin, int64_t cols) {
    // The input rows this chunk's output rows read.
    const int64_t first_p = begin / (g.q * g.n), last_p = (begin + cols - 1) / (g.q * g.n);
    const int64_t h_begin = std::max<int64_t>(0, first_p * g.stride_h - g.pad_h);
    const int64_t h_end = std::min<int64_t>(g.h, last_p * g.stride_h - g.pad_h + (g.r - 1) * g.dilation_h + 1);
    if (h_end <= h_begin) return;
    cl_kernel kernel = kernels.col2im.get();
    cl_uint index = 0;
    SetArg(kernel, index, col);
    SetArg<cl_long>(kernel, index, begin);
    SetArg<cl_long>(kernel, index, cols);
    SetArg(kernel, index, src);
    SetArg<cl_long>(kernel, index, args.src.offset);
    SetArg<cl_int>(kernel, index, static_cast<cl_int>(h_begin));
    SetArg<cl_int>(kernel, index, static_cast<cl_int>(h_end - h_begin));
    SetConvGeometry(kernel, index, g);
    Launch2D(kernel, GroupLimit(kernel), g.c * (h_end - h_begin), g.w, "clEnqueueNDRangeKernel (col2im)");
  };
  for (int64_t begin = 0; begin < positions; begin += chunk) {
    const int64_t cols = std::min(chunk, positions - begin);
    // This chunk of the column matrix (rows x cols) and of dst (K x cols, within K x positions).
    const MatrixRef col_chunk{col_buffer, direct ? args.src.offset : 0, direct ? positions : cols};
    const MatrixRef dst_chunk{args.dst.buffer, args.dst.offset + begin, positions};
    const MatrixRef filter{args.filter.buffer, args.filter.offset, rows};   // K x rows
    GemmArgs gemm_args;
    gemm_args.dtype = args.dtype;
    switch (pass) {
      case ConvPass::kFprop:   // dst = filter col
        if (!direct) im2col(begin, cols);
        gemm_args.m = g.k, gemm_args.n = cols, gemm_args.k = rows;
        gemm_args.a = filter, gemm_args.b = col_chunk, gemm_args.c = dst_chunk;
        EnqueueGemm(gemm_args);
        break;
      case ConvPass::kBpropData:   // col = filter^T dst, then scattered back into src
        gemm_args.m = rows, gemm_args.n = cols, gemm_args.k = g.k;
        gemm_args.a = filter, gemm_args.a.trans = true, gemm_args.b = dst_chunk, gemm_args.c = col_chunk;
        EnqueueGemm(gemm_args);
        if (!direct) col2im(begin, cols);
        break;
      case ConvPass::kBpropFilter:   // filter = sum over chunks of dst col^T
        if (!direct) im2col(begin, cols);
        gemm_args.m = g.k, gemm_args.n = rows, gemm_args.k = cols;
        gemm_args.beta = begin == 0 ? 0.0 : 1.0;
        gemm_args.a = dst_chunk, gemm_args.b = col_chunk, gemm_args.b.trans = true, gemm_args.c = filter;
        EnqueueGemm(gemm_args);
        break;
    }
  }
}

void OpenCLBackend::pool_fprop(const PoolArgs& args) { Pool(args, false); }
void OpenCLBackend::pool_bprop(const PoolArgs& args) { Pool(args, true); }

void OpenCLBackend::Pool(const PoolArgs& args, bool bprop) {
  const char* op = bprop ? "pool_bprop" : "pool_fprop";
  host_ops::CheckPool(args, op);
  const PoolGeometry& g = args.geometry;
  CheckInt32({g.stride_h, g.stride_w, g.h + 2 * g.pad_h, g.w + 2 * g.pad_w}, op);
  const bool is_max = args.op == PoolOp::kMax;
  cl_mem src = Mem(*args.src.buffer), dst = Mem(*args.dst.buffer);
  cl_mem argmax = is_max ? Mem(*args.argmax.buffer) : nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  ConvKernels& kernels = ConvProgram(args.dtype, op);
  cl_kernel kernel = bprop ? (is_max ? kernels.max_pool_bprop : kernels.avg_pool_bprop).get()
                           : (is_max ? kernels.max_pool_fprop : kernels.avg_pool_fprop).get();
  cl_uint index = 0;
  auto set_tensor = [&](cl_mem mem, int64_t offset) {
    SetArg(kernel, index, mem);
    SetArg<cl_long>(kernel, index, offset);
  };
  // kernels/pool.cl: fprop reads src and writes dst (and argmax); bprop reads dst (and argmax), writes src.
  set_tensor(bprop ? dst : src, bprop ? args.dst.offset : args.src.offset);
  if (bprop && is_max) set_tensor(argmax, args.argmax.offset);
  set_tensor(bprop ? src : dst, bprop ? args.src.offset : args.dst.offset);
  if (!bprop && is_max) set_tensor(argmax, args.argmax.offset);
  SetPoolGeometry(kernel, index, g);
  Launch2D(kernel, GroupLimit(kernel), bprop ? g.c * g.h * g.w : g.c * g.p * g.q, g.n,
           bprop ? "clEnqueueNDRangeKernel (pool_bprop)" : "clEnqueueNDRangeKernel (pool_fprop)");
}

}  // namespace neon
