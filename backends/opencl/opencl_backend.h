// The OpenCL backend: any OpenCL 1.2+ device through the ICD loader. Fused
// kernels are rendered to OpenCL C (kernel_renderer.h), built once and cached
// (program_cache.h); GEMM runs through CLBlast; random fills use the Philox
// helpers in kernels/philox.cl; convolution is im2col / col2im (kernels/conv.cl)
// plus CLBlast GEMM, pooling runs kernels/pool.cl (opencl_conv.cc).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/opencl/kernel_renderer.h"
#include "backends/opencl/opencl_device.h"
#include "backends/opencl/opencl_handles.h"
#include "backends/opencl/program_cache.h"
#include "core/lru_map.h"

namespace neon {

struct OpenCLOptions {
  int device_index = -1;                  // -1: the best device (a GPU when present)
  std::optional<std::string> cache_dir;   // unset: ProgramCache::DefaultDir(); "": no disk cache
  bool force_packed_args = false;         // pass scalars in buffers even when they fit (tests)
  bool force_tree_reductions = false;     // work-group tree reductions on CPU devices too (tests)
  // Lowers the device's CL_DEVICE_MAX_PARAMETER_SIZE (tests: an embedded-profile device, 256).
  std::optional<size_t> max_parameter_bytes;
  size_t conv_workspace_bytes = size_t{64} << 20;   // bound of the im2col column matrix (at least one position x batch)
};

// A cl_mem owned by an OpenCLBackend.
class OpenCLBuffer final : public Buffer {
 public:
  OpenCLBuffer(Backend& backend, size_t bytes, opencl::MemHandle mem)
      : Buffer(backend, bytes), mem_(std::move(mem)) {}
  cl_mem mem() const { return mem_.get(); }

 private:
  opencl::MemHandle mem_;
};

class OpenCLBackend final : public Backend {
 public:
  explicit OpenCLBackend(const OpenCLOptions& options = {});
  ~OpenCLBackend() override;

  const DeviceInfo& info() const override { return device_.info; }
  std::shared_ptr<Buffer> allocate(size_t bytes) override;
  void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) override;
  void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) override;
  void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) override;
  void run(const FusedKernel& kernel, const KernelArgs& args) override;
  void gemm(const GemmArgs& args) override;
  void fill_random(const RandomArgs& args) override;
  void synchronize() override;
  // Packed arguments (a pointer per input) within the device's CL_DEVICE_MAX_PARAMETER_SIZE.
  int max_kernel_inputs() const override { return max_kernel_inputs_; }

  bool supports(std::string_view feature) const override;
  void conv_fprop(const ConvArgs& args) override;
  void conv_bprop_data(const ConvArgs& args) override;
  void conv_bprop_filter(const ConvArgs& args) override;
  void pool_fprop(const PoolArgs& args) override;
  void pool_bprop(const PoolArgs& args) override;

  // The device, context and queue (for direct CLBlast calls in benchmarks).
  const opencl::DeviceRecord& device() const { return device_; }
  cl_context context() const { return context_.get(); }
  cl_command_queue queue() const { return queue_.get(); }
  // The cl_mem behind a buffer of this backend; ArgumentError for a foreign buffer.
  cl_mem Mem(const Buffer& buffer) const;
  opencl::ProgramCache& programs() { return *programs_; }

 private:
  struct CompiledKernel {
    opencl::RenderedKernel rendered;
    opencl::ProgramHandle program;
    opencl::KernelHandle kernel;
    opencl::KernelHandle unit_kernel;   // elementwise only: all column strides 1
    opencl::KernelHandle flat_kernel;   // elementwise only: all row-major contiguous
    size_t group_limit = 1;             // min(device, kernel work-group size, MaxGroup)
    size_t unit_group_limit = 1;
    size_t flat_group_limit = 1;
    opencl::KernelHandle final_kernel;   // all-axes reductions: combines the partials
    size_t final_group_limit = 1;
    opencl::KernelHandle serial_kernel;         // reductions on CPU devices: an item per output
    opencl::KernelHandle serial_final_kernel;   // ... and its all-axes combining step
    size_t serial_group_limit = 1;
  };
  struct RandomKernels {
    opencl::ProgramHandle program;
    opencl::KernelHandle uniform, bernoulli, scatter;
  };

  struct ConvKernels {   // kernels/conv.cl and kernels/pool.cl for one dtype
    opencl::ProgramHandle program;
    opencl::KernelHandle im2col, col2im, max_pool_fprop, avg_pool_fprop, max_pool_bprop, avg_pool_bprop;
  };

  CompiledKernel& Compiled(const FusedKernel& kernel);
  RandomKernels& RandomProgram(DType dtype);
  ConvKernels& ConvProgram(DType dtype, const char* op);
  void Conv(const ConvArgs& args, ConvPass pass);
  void Pool(const PoolArgs& args, bool bprop);
  // The conv workspace, grown to at least `bytes` (callers hold mutex_).
  cl_mem ConvWorkspace(size_t bytes);
  // Enqueues a validated, non-empty GEMM on the queue (callers hold mutex_).
  void EnqueueGemm(const GemmArgs& args);
  void Launch2D(cl_kernel kernel, size_t group_limit, int64_t rows, int64_t cols, const char* what);
  // Work-group size cap of a hand-written kernel: min(kernel, device, 256).
  size_t GroupLimit(cl_kernel kernel) const;

  opencl::DeviceRecord device_;
  size_t max_parameter_bytes_ = 0;   // the device's, or the lower test override
  int max_kernel_inputs_ = 0;
  opencl::ContextHandle context_;
  opencl::QueueHandle queue_;
  std::unique_ptr<opencl::ProgramCache> programs_;
  bool force_packed_args_;
  bool force_tree_reductions_;
  std::mutex mutex_;   // guards the kernel maps and kernel arguments
  // By FusedKernel::Key(), the kMaxProgramsInMemory most recently used.
  LruMap<std::string, CompiledKernel> kernels_{opencl::kMaxProgramsInMemory};
  std::map<DType, RandomKernels> random_;
  // All-axes reductions: one value (and index) per first-stage work-group.
  std::shared_ptr<Buffer> partial_values_, partial_indices_;
  size_t conv_workspace_limit_;
  std::map<DType, ConvKernels> conv_;
  // The im2col column matrix, reused by every convolution (OpenCL keeps a replaced
  // buffer alive until the kernels queued on it have run).
  std::shared_ptr<Buffer> conv_workspace_;
};

// The OpenCL backend on device `device_index` (-1: the best device). BackendError
// naming what to install when there is no platform or device; ArgumentError
// listing the devices when the index is out of range.
std::unique_ptr<Backend> MakeOpenCLBackend(int device_index = -1);

}  // namespace neon
