#include "backends/opencl/opencl_backend.h"

#include <algorithm>
#include <string>
#include <vector>

#include "graph/error.h"

namespace neon {

using opencl::CheckCl;
using opencl::KernelHandle;
using opencl::MemHandle;
using opencl::ParamKind;
using opencl::ProgramHandle;

namespace {

// Work-group size cap: 256 suits GPUs; CPU drivers (PoCL) run a work-group as
// one loop, so larger groups mean fewer, cheaper scheduling steps.
size_t MaxGroup(const opencl::DeviceRecord& device) { return device.info.device_type == "cpu" ? 1024 : 256; }

size_t Pow2Ceil(size_t x) {
  size_t p = 1;
  while (p < x) p <<= 1;
  return p;
}

size_t Pow2Floor(size_t x) {
  size_t p = 1;
  while (p * 2 <= x) p <<= 1;
  return p;
}

size_t RoundUp(size_t x, size_t to) { return (x + to - 1) / to * to; }

template <typename T>
void SetArg(cl_kernel kernel, cl_uint& index, const T& value) {
  CheckCl(clSetKernelArg(kernel, index, sizeof(T), &value), "clSetKernelArg " + std::to_string(index));
  ++index;
}

void SetLocalArg(cl_kernel kernel, cl_uint& index, size_t bytes) {
  CheckCl(clSetKernelArg(kernel, index, bytes, nullptr), "clSetKernelArg (local) " + std::to_string(index));
  ++index;
}

// Throws unless elements [first, last] of `dtype` at the view lie inside the buffer.
void CheckView(const char* what, const Buffer& buffer, DType dtype, int64_t offset, int64_t row_stride,
               int64_t col_stride, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0) return;
  int64_t low = offset, high = offset;
  (row_stride < 0 ? low : high) += (rows - 1) * row_stride;
  (col_stride < 0 ? low : high) += (cols - 1) * col_stride;
  const int64_t elements = static_cast<int64_t>(buffer.size_bytes() / SizeOf(dtype));
  if (low < 0 || high >= elements) {
    throw ArgumentError(std::string(what) + ": a " + std::to_string(rows) + "x" + std::to_string(cols) +
                        " view (offset " + std::to_string(offset) + ", strides " + std::to_string(row_stride) +
                        ", " + std::to_string(col_stride) + ") reaches elements [" + std::to_string(low) + ", " +
                        std::to_string(high) + "]; expected them within the buffer's " + std::to_string(elements) +
                        " " + std::string(DTypeName(dtype)) + " elements");
  }
}

void CheckBytes(const char* what, const Buffer& buffer, size_t offset, size_t bytes) {
  if (offset > buffer.size_bytes() || bytes > buffer.size_bytes() - offset) {
    throw ArgumentError(std::string(what) + ": bytes [" + std::to_string(offset) + ", " +
                        std::to_string(offset + bytes) + ") exceed the buffer's " +
                        std::to_string(buffer.size_bytes()) + " bytes");
  }
}

uint64_t ExactU64(double value, int slot) {
  if (!(value >= 0.0 && value < 18446744073709551616.0) || value != static_cast<double>(static_cast<uint64_t>(value))) {
    throw ArgumentError("kernel param " + std::to_string(slot) + " (a rand key or counter) is " +
                        std::to_string(value) + "; expected a non-negative integer below 2^64");
  }
  return static_cast<uint64_t>(value);
}

}  // namespace

OpenCLBackend::OpenCLBackend(const OpenCLOptions& options)
    : force_packed_args_(options.force_packed_args) {
  std::vector<opencl::DeviceRecord> devices = opencl::EnumerateDevices();
  device_ = opencl::SelectDevice(devices, options.device_index);
  cl_int status = CL_SUCCESS;
  context_ = opencl::ContextHandle(clCreateContext(nullptr, 1, &device_.device, nullptr, nullptr, &status));
  CheckCl(status, "clCreateContext for " + device_.device_name);
  queue_ = opencl::QueueHandle(clCreateCommandQueue(context_.get(), device_.device, 0, &status));
  CheckCl(status, "clCreateCommandQueue for " + device_.device_name);
  std::string dir = options.cache_dir.value_or(opencl::ProgramCache::DefaultDir());
  programs_ = std::make_unique<opencl::ProgramCache>(context_.get(), device_.device,
                                                     device_.device_name + "|" + device_.driver_version, dir);
}

OpenCLBackend::~OpenCLBackend() {
  release_scratch();
  if (queue_) clFinish(queue_.get());
}

cl_mem OpenCLBackend::Mem(const Buffer& buffer) const {
  const auto* cl_buffer = dynamic_cast<const OpenCLBuffer*>(&buffer);
  if (cl_buffer == nullptr || &buffer.backend() != this) {
    throw ArgumentError("buffer of backend '" + buffer.backend().info().name + "' passed to backend '" +
                        device_.info.name + "'; expected a buffer this backend allocated");
  }
  return cl_buffer->mem();
}

std::shared_ptr<Buffer> OpenCLBackend::allocate(size_t bytes) {
  if (device_.max_alloc_bytes != 0 && bytes > device_.max_alloc_bytes) {
    throw BackendError("allocation of " + std::to_string(bytes) + " bytes on " + device_.info.name +
                       " exceeds the device's largest buffer (" + std::to_string(device_.max_alloc_bytes) +
                       " bytes)");
  }
  cl_int status = CL_SUCCESS;
  // OpenCL refuses zero-sized buffers; a zero-byte Buffer still owns a small one.
  MemHandle mem(clCreateBuffer(context_.get(), CL_MEM_READ_WRITE, std::max<size_t>(bytes, 16), nullptr, &status));
  CheckCl(status, "clCreateBuffer of " + std::to_string(bytes) + " bytes");
  return std::make_shared<OpenCLBuffer>(*this, bytes, std::move(mem));
}

void OpenCLBackend::copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) {
  cl_mem mem = Mem(dst);
  CheckBytes("copy_in", dst, offset, bytes);
  if (bytes == 0) return;
  CheckCl(clEnqueueWriteBuffer(queue_.get(), mem, CL_TRUE, offset, bytes, src, 0, nullptr, nullptr),
          "clEnqueueWriteBuffer");
}

void OpenCLBackend::copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) {
  cl_mem mem = Mem(src);
  CheckBytes("copy_out", src, offset, bytes);
  if (bytes == 0) return;
  CheckCl(clEnqueueReadBuffer(queue_.get(), mem, CL_TRUE, offset, bytes, dst, 0, nullptr, nullptr),
          "clEnqueueReadBuffer");
}

void OpenCLBackend::copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) {
  cl_mem src_mem = Mem(src), dst_mem = Mem(dst);
  CheckBytes("copy (source)", src, src_offset, bytes);
  CheckBytes("copy (destination)", dst, dst_offset, bytes);
  if (bytes == 0 || (src_mem == dst_mem && src_offset == dst_offset)) return;
  const bool overlap = src_mem == dst_mem && src_offset < dst_offset + bytes && dst_offset < src_offset + bytes;
  if (!overlap) {
    CheckCl(clEnqueueCopyBuffer(queue_.get(), src_mem, dst_mem, src_offset, dst_offset, bytes, 0, nullptr, nullptr),
            "clEnqueueCopyBuffer");
    return;
  }
  // OpenCL rejects overlapping copies within one buffer: go through a temporary.
  std::shared_ptr<Buffer> temp = allocate(bytes);
  cl_mem temp_mem = Mem(*temp);
  CheckCl(clEnqueueCopyBuffer(queue_.get(), src_mem, temp_mem, src_offset, 0, bytes, 0, nullptr, nullptr),
          "clEnqueueCopyBuffer");
  CheckCl(clEnqueueCopyBuffer(queue_.get(), temp_mem, dst_mem, 0, dst_offset, bytes, 0, nullptr, nullptr),
          "clEnqueueCopyBuffer");
}

void OpenCLBackend::synchronize() { CheckCl(clFinish(queue_.get()), "clFinish"); }

OpenCLBackend::CompiledKernel& OpenCLBackend::Compiled(const FusedKernel& kernel) {
  std::string key = kernel.Key();
  auto found = kernels_.find(key);
  if (found != kernels_.end()) return found->second;
  opencl::CheckFloat64Support(kernel, device_.info.supports_float64, device_.device_name);
  const bool pack = force_packed_args_ || opencl::UnpackedArgumentBytes(kernel) > device_.max_parameter_bytes;
  CompiledKernel compiled;
  compiled.rendered = opencl::RenderFusedKernel(kernel, pack);
  compiled.program = programs_->Get(compiled.rendered.source, "", "neon_fused [" + key + "]");
  auto make = [&](const char* name, KernelHandle& handle, size_t& group_limit) {
    cl_int status = CL_SUCCESS;
    handle = KernelHandle(clCreateKernel(compiled.program.get(), name, &status));
    CheckCl(status, std::string("clCreateKernel ") + name);
    size_t kernel_limit = 0;
    CheckCl(clGetKernelWorkGroupInfo(handle.get(), device_.device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kernel_limit,
                                     &kernel_limit, nullptr),
            "clGetKernelWorkGroupInfo");
    group_limit = std::max<size_t>(1, std::min({MaxGroup(device_), kernel_limit, device_.max_work_group_size}));
  };
  make(opencl::RenderedKernel::kName, compiled.kernel, compiled.group_limit);
  if (!kernel.has_reduction) {
    make(opencl::RenderedKernel::kUnitName, compiled.unit_kernel, compiled.unit_group_limit);
    make(opencl::RenderedKernel::kFlatName, compiled.flat_kernel, compiled.flat_group_limit);
  }
  compiled.rendered.source.clear();   // kept by the program cache; not needed per kernel
  return kernels_.emplace(std::move(key), std::move(compiled)).first->second;
}

void OpenCLBackend::Launch2D(cl_kernel kernel, size_t group_limit, int64_t rows, int64_t cols, const char* what) {
  size_t local[2];
  local[0] = std::min(group_limit, Pow2Ceil(static_cast<size_t>(cols)));
  local[0] = Pow2Floor(local[0]);
  local[1] = std::max<size_t>(1, std::min(group_limit / local[0], Pow2Ceil(static_cast<size_t>(rows))));
  local[1] = Pow2Floor(local[1]);
  size_t global[2] = {RoundUp(static_cast<size_t>(cols), local[0]), RoundUp(static_cast<size_t>(rows), local[1])};
  CheckCl(clEnqueueNDRangeKernel(queue_.get(), kernel, 2, nullptr, global, local, 0, nullptr, nullptr), what);
}

void OpenCLBackend::run(const FusedKernel& kernel, const KernelArgs& args) {
  const size_t inputs = kernel.input_dtypes.size();
  if (args.inputs.size() != inputs) {
    throw ArgumentError("run: kernel has " + std::to_string(inputs) + " input slots but " +
                        std::to_string(args.inputs.size()) + " inputs were given");
  }
  if (args.params.size() != static_cast<size_t>(kernel.num_params)) {
    throw ArgumentError("run: kernel has " + std::to_string(kernel.num_params) + " params but " +
                        std::to_string(args.params.size()) + " were given");
  }
  if (args.rows < 0 || args.cols < 0) {
    throw ArgumentError("run: iteration space " + std::to_string(args.rows) + "x" + std::to_string(args.cols) +
                        " has a negative size");
  }
  for (size_t s = 0; s < inputs; ++s) {
    const TensorRef& ref = args.inputs[s];
    if (ref.buffer == nullptr) throw ArgumentError("run: input " + std::to_string(s) + " has no buffer");
    if (ref.dtype != kernel.input_dtypes[s]) {
      throw ArgumentError("run: input " + std::to_string(s) + " is " + std::string(DTypeName(ref.dtype)) +
                          "; the kernel expects " + std::string(DTypeName(kernel.input_dtypes[s])));
    }
    Mem(*ref.buffer);
    CheckView(("run: input " + std::to_string(s)).c_str(), *ref.buffer, ref.dtype, ref.offset, ref.row_stride,
              ref.col_stride, args.rows, args.cols);
  }
  const TensorRef& out = args.output;
  if (out.buffer == nullptr) throw ArgumentError("run: the output has no buffer");
  if (out.dtype != kernel.output_dtype) {
    throw ArgumentError("run: output is " + std::string(DTypeName(out.dtype)) + "; the kernel stores " +
                        std::string(DTypeName(kernel.output_dtype)));
  }
  Mem(*out.buffer);
  int64_t out_rows = args.rows, out_cols = args.cols;
  if (kernel.has_reduction) {
    if (kernel.reduce_axis == 0 || kernel.reduce_axis == kAllAxes) out_rows = 1;
    if (kernel.reduce_axis == 1 || kernel.reduce_axis == kAllAxes) out_cols = 1;
  }
  CheckView("run: output", *out.buffer, out.dtype, out.offset, out.row_stride, out.col_stride, out_rows, out_cols);
  size_t groups = 0;
  if (kernel.has_reduction) {
    groups = kernel.reduce_axis == 1 ? args.rows : kernel.reduce_axis == 0 ? args.cols : 1;
    if (groups == 0) return;
  } else if (args.rows == 0 || args.cols == 0) {
    return;
  }

  std::lock_guard<std::mutex> lock(mutex_);
  CompiledKernel& compiled = Compiled(kernel);
  const opencl::RenderedKernel& rendered = compiled.rendered;
  // Layout variant of an elementwise kernel: flat (all row-major contiguous),
  // unit column stride, or general strides.
  bool unit = !kernel.has_reduction && out.col_stride == 1;
  for (const TensorRef& ref : args.inputs) unit = unit && ref.col_stride == 1;
  auto row_major = [&](const TensorRef& ref) { return ref.col_stride == 1 && (ref.row_stride == args.cols || args.rows == 1); };
  bool flat = unit && row_major(out);
  for (const TensorRef& ref : args.inputs) flat = flat && row_major(ref);
  cl_kernel k = flat ? compiled.flat_kernel.get() : unit ? compiled.unit_kernel.get() : compiled.kernel.get();
  const bool is_double = kernel.compute_dtype == DType::kFloat64;
  const size_t real_size = is_double ? sizeof(double) : sizeof(float);
  cl_uint index = 0;
  MemHandle meta_mem, reals_mem;   // released after enqueue; OpenCL keeps them alive until the kernel ran
  if (rendered.packed) {
    std::vector<int64_t> meta = {args.rows, args.cols};
    for (size_t s = 0; s < inputs; ++s) {
      meta.insert(meta.end(), {args.inputs[s].offset, args.inputs[s].row_stride, args.inputs[s].col_stride});
    }
    meta.insert(meta.end(), {out.offset, out.row_stride, out.col_stride});
    std::vector<double> reals_d(std::max(1, kernel.num_params));
    std::vector<float> reals_f(std::max(1, kernel.num_params));
    for (int p = 0; p < kernel.num_params; ++p) {
      const bool u64 = rendered.param_kinds[p] == ParamKind::kU64;
      meta.push_back(u64 ? static_cast<int64_t>(ExactU64(args.params[p], p)) : 0);
      reals_d[p] = args.params[p];
      reals_f[p] = static_cast<float>(args.params[p]);
    }
    cl_int status = CL_SUCCESS;
    meta_mem = MemHandle(clCreateBuffer(context_.get(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                        meta.size() * sizeof(int64_t), meta.data(), &status));
    CheckCl(status, "clCreateBuffer (packed kernel arguments)");
    void* reals = is_double ? static_cast<void*>(reals_d.data()) : static_cast<void*>(reals_f.data());
    reals_mem = MemHandle(clCreateBuffer(context_.get(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                         reals_d.size() * real_size, reals, &status));
    CheckCl(status, "clCreateBuffer (packed kernel parameters)");
    SetArg(k, index, meta_mem.get());
    SetArg(k, index, reals_mem.get());
    for (size_t s = 0; s < inputs; ++s) SetArg(k, index, Mem(*args.inputs[s].buffer));
    SetArg(k, index, Mem(*out.buffer));
  } else {
    SetArg<cl_long>(k, index, args.rows);
    SetArg<cl_long>(k, index, args.cols);
    for (const TensorRef& ref : args.inputs) {
      SetArg(k, index, Mem(*ref.buffer));
      SetArg<cl_long>(k, index, ref.offset);
      SetArg<cl_long>(k, index, ref.row_stride);
      SetArg<cl_long>(k, index, ref.col_stride);
    }
    SetArg(k, index, Mem(*out.buffer));
    SetArg<cl_long>(k, index, out.offset);
    SetArg<cl_long>(k, index, out.row_stride);
    SetArg<cl_long>(k, index, out.col_stride);
    for (int p = 0; p < kernel.num_params; ++p) {
      if (rendered.param_kinds[p] == ParamKind::kU64) {
        SetArg<cl_ulong>(k, index, ExactU64(args.params[p], p));
      } else if (is_double) {
        SetArg<cl_double>(k, index, args.params[p]);
      } else {
        SetArg<cl_float>(k, index, static_cast<float>(args.params[p]));
      }
    }
  }
  if (!kernel.has_reduction) {
    if (flat) {
      const size_t total = static_cast<size_t>(args.rows * args.cols);
      const size_t group = std::min(compiled.flat_group_limit, Pow2Ceil(total));
      const size_t global = RoundUp(total, group);
      CheckCl(clEnqueueNDRangeKernel(queue_.get(), k, 1, nullptr, &global, &group, 0, nullptr, nullptr),
              "clEnqueueNDRangeKernel (fused elementwise, flat)");
      return;
    }
    Launch2D(k, unit ? compiled.unit_group_limit : compiled.group_limit, args.rows, args.cols,
             "clEnqueueNDRangeKernel (fused elementwise)");
    return;
  }
  const size_t n = kernel.reduce_axis == 1   ? static_cast<size_t>(args.cols)
                   : kernel.reduce_axis == 0 ? static_cast<size_t>(args.rows)
                                             : static_cast<size_t>(args.rows * args.cols);
  // Tree reductions keep local memory small: at most 256 work-items per group.
  const size_t cap = std::min<size_t>(compiled.group_limit, 256);
  const size_t group = Pow2Floor(std::min(cap, Pow2Ceil(std::max<size_t>(n, 1))));
  SetLocalArg(k, index, group * real_size);
  if (kernel.reduce_op == OpKind::kArgmax || kernel.reduce_op == OpKind::kArgmin) {
    SetLocalArg(k, index, group * sizeof(cl_long));
  }
  size_t global = groups * group;
  CheckCl(clEnqueueNDRangeKernel(queue_.get(), k, 1, nullptr, &global, &group, 0, nullptr, nullptr),
          "clEnqueueNDRangeKernel (fused reduction)");
}

std::unique_ptr<Backend> MakeOpenCLBackend(int device_index) {
  OpenCLOptions options;
  options.device_index = device_index;
  return std::make_unique<OpenCLBackend>(options);
}

}  // namespace neon
