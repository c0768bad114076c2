#include "backends/opencl/opencl_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/validate.h"
#include "core/error.h"

namespace neon {

using opencl::CheckCl;
using opencl::KernelHandle;
using opencl::MemHandle;
using opencl::ParamKind;
using opencl::ProgramHandle;

namespace {

// Work-group size cap: 256 suits GPUs; CPU drivers (PoCL) run a work-group as
// one loop, so larger groups mean fewer, cheaper scheduling steps.
// Work-groups of the first stage of an all-axes tree reduction (partials).
constexpr size_t kMaxParts = 256;
// Serial all-axes reductions: at most this many partials, each of at least
// kSerialPartElements elements (enough work per item to hide its launch).
constexpr size_t kSerialParts = 64;
constexpr size_t kSerialPartElements = 4096;

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

// The kRand parameters of `kernel` as integers (CheckKernelLaunch made sure they are
// whole numbers: key halves below 2^32, counter offsets up to 2^53).
std::vector<uint64_t> RandParams(const FusedKernel& kernel, const std::vector<double>& params) {
  std::vector<uint64_t> exact(params.size(), 0);
  for (const auto* program : {&kernel.body, &kernel.epilogue}) {
    if (program == &kernel.epilogue && !kernel.has_reduction) break;  // not run, not checked
    for (const Instr& instr : *program) {
      if (instr.op != OpKind::kRand) continue;
      for (int slot = instr.slot; slot < instr.slot + 3; ++slot) exact[slot] = static_cast<uint64_t>(params[slot]);
    }
  }
  return exact;
}

}  // namespace

OpenCLBackend::OpenCLBackend(const OpenCLOptions& options)
    : force_packed_args_(options.force_packed_args),
      force_tree_reductions_(options.force_tree_reductions),
      conv_workspace_limit_(options.conv_workspace_bytes) {
  std::vector<opencl::DeviceRecord> devices = opencl::EnumerateDevices();
  device_ = opencl::SelectDevice(devices, options.device_index);
  max_parameter_bytes_ = std::min(device_.max_parameter_bytes, options.max_parameter_bytes.value_or(SIZE_MAX));
  max_kernel_inputs_ = opencl::MaxPackedInputs(max_parameter_bytes_);
  if (max_kernel_inputs_ < 2) {
    throw BackendError("OpenCL device '" + device_.device_name + "' allows " + std::to_string(max_parameter_bytes_) +
                       " bytes of kernel arguments, too few for a fused kernel with two inputs; expected at "
                       "least 256 (the OpenCL minimum)");
  }
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
  if (queue_) clFinish(queue_.get());
}

cl_mem OpenCLBackend::Mem(const Buffer& buffer) const {
  const auto* cl_buffer = dynamic_cast<const OpenCLBuffer*>(&buffer);
  if (cl_buffer == nullptr || &buffer.backend() != this) {
    throw ArgumentError("buffer of backend '" + buffer.backend().instance_name() + "' passed to backend '" +
                        instance_name() + "'; expected a buffer this backend allocated");
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
  CheckByteRange(dst, offset, bytes, "copy_in");
  if (bytes == 0) return;
  CheckCl(clEnqueueWriteBuffer(queue_.get(), mem, CL_TRUE, offset, bytes, src, 0, nullptr, nullptr),
          "clEnqueueWriteBuffer");
}

void OpenCLBackend::copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) {
  cl_mem mem = Mem(src);
  CheckByteRange(src, offset, bytes, "copy_out");
  if (bytes == 0) return;
  CheckCl(clEnqueueReadBuffer(queue_.get(), mem, CL_TRUE, offset, bytes, dst, 0, nullptr, nullptr),
          "clEnqueueReadBuffer");
}

void OpenCLBackend::copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) {
  cl_mem src_mem = Mem(src), dst_mem = Mem(dst);
  CheckByteRange(src, src_offset, bytes, "copy (source)");
  CheckByteRange(dst, dst_offset, bytes, "copy (destination)");
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
  if (CompiledKernel* found = kernels_.Find(key)) return *found;
  opencl::CheckFloat64Support(kernel, device_.info.supports_float64, device_.device_name);
  if (opencl::PackedArgumentBytes(kernel) > max_parameter_bytes_) {
    throw BackendError("fused kernel [" + key + "] reads " + std::to_string(kernel.input_dtypes.size()) +
                       " tensors: " + std::to_string(opencl::PackedArgumentBytes(kernel)) +
                       " bytes of arguments, beyond the " + std::to_string(max_parameter_bytes_) + " of device '" +
                       device_.device_name + "'; expected at most " + std::to_string(max_kernel_inputs_) +
                       " inputs (the compiler splits wider kernels)");
  }
  const bool pack = force_packed_args_ || opencl::UnpackedArgumentBytes(kernel) > max_parameter_bytes_;
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
  if (kernel.has_reduction) {
    make(opencl::RenderedKernel::kSerialName, compiled.serial_kernel, compiled.serial_group_limit);
  }
  if (kernel.has_reduction && kernel.reduce_axis == kAllAxes) {
    make(opencl::RenderedKernel::kFinalName, compiled.final_kernel, compiled.final_group_limit);
    size_t unused = 0;
    make(opencl::RenderedKernel::kSerialFinalName, compiled.serial_final_kernel, unused);
  }
  if (!kernel.has_reduction) {
    make(opencl::RenderedKernel::kUnitName, compiled.unit_kernel, compiled.unit_group_limit);
    make(opencl::RenderedKernel::kFlatName, compiled.flat_kernel, compiled.flat_group_limit);
  }
  compiled.rendered.source.clear();   // kept by the program cache; not needed per kernel
  return kernels_.Insert(key, std::move(compiled));
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

size_t OpenCLBackend::GroupLimit(cl_kernel kernel) const {
  size_t limit = 0;
  CheckCl(clGetKernelWorkGroupInfo(kernel, device_.device, CL_KERNEL_WORK_GROUP_SIZE, sizeof limit, &limit, nullptr),
          "clGetKernelWorkGroupInfo");
  return std::max<size_t>(1, std::min<size_t>({limit, device_.max_work_group_size, 256}));
}

void OpenCLBackend::run(const FusedKernel& kernel, const KernelArgs& args) {
  CheckKernelLaunch(kernel, args, *this);
  const size_t inputs = kernel.input_dtypes.size();
  std::vector<bool> read(inputs);  // inputs the program never reads get no buffer argument
  for (size_t s = 0; s < inputs; ++s) read[s] = UseOfInput(kernel, static_cast<int>(s)).any();
  const TensorRef& out = args.output;
  size_t groups = 0;
  if (kernel.has_reduction) {
    groups = kernel.reduce_axis == 1 ? args.rows : kernel.reduce_axis == 0 ? args.cols : 1;
    if (groups == 0) return;
  } else if (args.rows == 0 || args.cols == 0) {
    return;
  }

  const std::vector<uint64_t> exact = RandParams(kernel, args.params);

  std::lock_guard<std::mutex> lock(mutex_);
  CompiledKernel& compiled = Compiled(kernel);
  const opencl::RenderedKernel& rendered = compiled.rendered;
  // Layout variant of an elementwise kernel: flat (all row-major contiguous),
  // unit column stride, or general strides.
  bool unit = !kernel.has_reduction && out.col_stride == 1;
  for (size_t s = 0; s < inputs; ++s) unit = unit && (!read[s] || args.inputs[s].col_stride == 1);
  auto row_major = [&](const TensorRef& ref) { return ref.col_stride == 1 && (ref.row_stride == args.cols || args.rows == 1); };
  bool flat = unit && row_major(out);
  for (size_t s = 0; s < inputs; ++s) flat = flat && (!read[s] || row_major(args.inputs[s]));
  // The flat kernel has no bounds test: its work-group size must divide rows * cols.
  const size_t total = static_cast<size_t>(args.rows) * static_cast<size_t>(args.cols);
  size_t flat_group = 1;
  if (flat) {
    const size_t limit = compiled.flat_group_limit;
    flat_group = total <= limit ? total : std::min(Pow2Floor(limit), total & (~total + 1));   // lowest set bit
    flat = flat_group == total || flat_group >= 32;
  }
  cl_kernel k = flat ? compiled.flat_kernel.get() : unit ? compiled.unit_kernel.get() : compiled.kernel.get();
  const bool is_double = kernel.compute_dtype == DType::kFloat64;
  const size_t real_size = is_double ? sizeof(double) : sizeof(float);
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
      meta.push_back(u64 ? static_cast<int64_t>(exact[p]) : 0);
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
  }
  // Sets the arguments every kernel of the program shares; returns the next index.
  auto set_common = [&](cl_kernel kk) {
    cl_uint index = 0;
    if (rendered.packed) {
      SetArg(kk, index, meta_mem.get());
      SetArg(kk, index, reals_mem.get());
      for (size_t s = 0; s < inputs; ++s) SetArg(kk, index, read[s] ? Mem(*args.inputs[s].buffer) : cl_mem{nullptr});
      SetArg(kk, index, Mem(*out.buffer));
      return index;
    }
    SetArg<cl_long>(kk, index, args.rows);
    SetArg<cl_long>(kk, index, args.cols);
    for (size_t s = 0; s < inputs; ++s) {
      const TensorRef& ref = args.inputs[s];
      SetArg(kk, index, read[s] ? Mem(*ref.buffer) : cl_mem{nullptr});
      SetArg<cl_long>(kk, index, ref.offset);
      SetArg<cl_long>(kk, index, ref.row_stride);
      SetArg<cl_long>(kk, index, ref.col_stride);
    }
    SetArg(kk, index, Mem(*out.buffer));
    SetArg<cl_long>(kk, index, out.offset);
    SetArg<cl_long>(kk, index, out.row_stride);
    SetArg<cl_long>(kk, index, out.col_stride);
    for (int p = 0; p < kernel.num_params; ++p) {
      if (rendered.param_kinds[p] == ParamKind::kU64) {
        SetArg<cl_ulong>(kk, index, exact[p]);
      } else if (is_double) {
        SetArg<cl_double>(kk, index, args.params[p]);
      } else {
        SetArg<cl_float>(kk, index, static_cast<float>(args.params[p]));
      }
    }
    return index;
  };
  if (!kernel.has_reduction) {
    set_common(k);
    if (flat) {
      CheckCl(clEnqueueNDRangeKernel(queue_.get(), k, 1, nullptr, &total, &flat_group, 0, nullptr, nullptr),
              "clEnqueueNDRangeKernel (fused elementwise, flat)");
      return;
    }
    Launch2D(k, unit ? compiled.unit_group_limit : compiled.group_limit, args.rows, args.cols,
             "clEnqueueNDRangeKernel (fused elementwise)");
    return;
  }
  const bool arg = kernel.reduce_op == OpKind::kArgmax || kernel.reduce_op == OpKind::kArgmin;
  const bool all_axes = kernel.reduce_axis == kAllAxes;
  const size_t n = kernel.reduce_axis == 1 ? static_cast<size_t>(args.cols)
                   : kernel.reduce_axis == 0 ? static_cast<size_t>(args.rows)
                                             : total;
  const bool cpu = device_.info.device_type == "cpu";
  const bool serial = force_tree_reductions_ ? false : cpu;
  // Tree reductions keep local memory small: at most 256 work-items per group.
  const size_t cap = std::min<size_t>(compiled.group_limit, 256);
  size_t group = Pow2Floor(std::min(cap, Pow2Ceil(std::max<size_t>(n, 1))));
  // Tree: work-item lid walks count elements, in contiguous chunks on CPU devices
  // (streams through memory), interleaved on GPUs (coalesced). All axes: up to
  // kMaxParts work-groups each reduce a span of group * count elements.
  // Serial: one work-item per output; all axes: parts of `count` elements each.
  size_t parts = 1;
  cl_long count = 1;
  if (serial) {
    parts = all_axes ? std::clamp<size_t>(n / kSerialPartElements, 1, kSerialParts) : 1;
    count = static_cast<cl_long>(std::max<size_t>(1, (n + parts - 1) / parts));
    parts = all_axes ? std::max<size_t>(1, (n + count - 1) / count) : 1;
  } else {
    const size_t wanted = all_axes ? std::clamp<size_t>((n + group - 1) / group, 1, kMaxParts) : 1;
    const size_t per_group = (n + wanted - 1) / wanted;
    count = static_cast<cl_long>(std::max<size_t>(1, (per_group + group - 1) / group));
    parts = all_axes ? std::max<size_t>(1, (n + group * count - 1) / (group * count)) : 1;
  }
  if (all_axes && !partial_values_) {
    partial_values_ = allocate(std::max(kMaxParts, kSerialParts) * sizeof(double));
    partial_indices_ = allocate(std::max(kMaxParts, kSerialParts) * sizeof(cl_long));
  }
  // Every kernel of a reduction program takes the same arguments.
  auto set_all = [&](cl_kernel kk, size_t items) {
    cl_uint index = set_common(kk);
    SetArg<cl_long>(kk, index, cpu ? count : 1);
    SetArg<cl_long>(kk, index, cpu ? 1 : static_cast<cl_long>(group));
    SetArg<cl_long>(kk, index, count);
    if (all_axes) {
      SetArg(kk, index, Mem(*partial_values_));
      if (arg) SetArg(kk, index, Mem(*partial_indices_));
      SetArg<cl_long>(kk, index, static_cast<cl_long>(parts));
    }
    SetLocalArg(kk, index, items * real_size);
    if (arg) SetLocalArg(kk, index, items * sizeof(cl_long));
  };
  auto launch = [&](cl_kernel kk, size_t global, size_t local, const char* what) {
    set_all(kk, local);
    CheckCl(clEnqueueNDRangeKernel(queue_.get(), kk, 1, nullptr, &global, &local, 0, nullptr, nullptr), what);
  };
  if (serial) {
    const size_t columns = opencl::RenderedKernel::kSerialColumns;
    const size_t items = all_axes ? parts : kernel.reduce_axis == 0 ? (groups + columns - 1) / columns : groups;
    const size_t local = std::min<size_t>(std::min<size_t>(compiled.serial_group_limit, 64), items);
    launch(compiled.serial_kernel.get(), RoundUp(items, local), local, "clEnqueueNDRangeKernel (serial reduction)");
    if (all_axes) {
      launch(compiled.serial_final_kernel.get(), 1, 1, "clEnqueueNDRangeKernel (serial reduction, final)");
    }
    return;
  }
  launch(k, (all_axes ? parts : groups) * group, group, "clEnqueueNDRangeKernel (fused reduction)");
  if (all_axes) {
    const size_t final_group =
        Pow2Floor(std::min(std::min<size_t>(compiled.final_group_limit, 256), Pow2Ceil(parts)));
    launch(compiled.final_kernel.get(), final_group, final_group,
           "clEnqueueNDRangeKernel (fused reduction, final)");
  }
}

std::unique_ptr<Backend> MakeOpenCLBackend(int device_index) {
  OpenCLOptions options;
  options.device_index = device_index;
  return std::make_unique<OpenCLBackend>(options);
}

}  // namespace neon
