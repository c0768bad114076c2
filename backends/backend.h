// The porting surface: what a device must provide for the whole runtime (the
// op-tree compiler, autodiff, layers, models) to run on it. The required core
// is pure virtual; optional accelerated ops have defaults. A backend may live
// in a shared library built outside this tree (see backends/plugin.h).
// Stateless: the runtime keeps temporaries and the random-stream position
// (graph/random_stream.h), so one backend serves several threads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "core/conv_args.h"
#include "core/error.h"
#include "core/kernel.h"

namespace neon {

class Backend;

// Every optional op a backend may claim through supports(), for `neon devices`.
inline constexpr const char* kOptionalOps[] = {"conv_fprop", "conv_bprop_data", "conv_bprop_filter", "pool_fprop",
                                               "pool_bprop", "batch_norm_fprop", "batch_norm_bprop"};

// Shared by a backend and every buffer it made, so that a buffer outliving its
// backend (a tensor kept after the backend was destroyed) reports it instead of
// touching freed device state. Null once the backend is gone.
struct BackendAnchor {
  std::atomic<Backend*> backend;
};

// Device memory. Freed when the last handle goes (RAII); its memory stays valid
// after its backend is destroyed, but every use of it then throws BackendError.
class Buffer {
 public:
  virtual ~Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // The owning backend; BackendError when it has been destroyed.
  Backend& backend() const {
    Backend* backend = anchor_->backend.load(std::memory_order_acquire);
    if (backend == nullptr) ThrowBackendGone();
    return *backend;
  }
  size_t size_bytes() const { return size_bytes_; }

 protected:
  Buffer(Backend& backend, size_t size_bytes);

 private:
  [[noreturn]] void ThrowBackendGone() const;

  std::shared_ptr<BackendAnchor> anchor_;
  std::string backend_name_;   // for the message once the backend is gone
  size_t size_bytes_;
};

// What a device is and can do, for `neon devices` and for choosing plans.
struct DeviceInfo {
  std::string name;          // registry name, e.g. "cpu", "opencl:0"
  std::string kind;          // "reference", "cpu", "opencl", ...
  std::string description;   // vendor and device, human-readable
  std::string device_type = "cpu";  // "cpu", "gpu" or "accelerator"
  uint64_t memory_bytes = 0;
  int compute_units = 0;
  bool supports_float64 = true;
};

class Backend {
 public:
  Backend() : anchor_(std::make_shared<BackendAnchor>()), instance_(NextInstance()) { anchor_->backend.store(this); }
  // Buffers still held by tensors learn here that their backend is gone.
  virtual ~Backend() { anchor_->backend.store(nullptr, std::memory_order_release); }
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // ---- required core ----

  // Name, kind, memory and capabilities of the device.
  virtual const DeviceInfo& info() const = 0;
  // A new buffer of `bytes` bytes (contents unspecified).
  virtual std::shared_ptr<Buffer> allocate(size_t bytes) = 0;
  // Host -> device: bytes from src into dst at byte offset.
  virtual void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) = 0;
  // Device -> host: bytes from src at byte offset into dst; waits for queued work.
  virtual void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) = 0;
  // Device -> device within this backend.
  virtual void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset,
                    size_t bytes) = 0;
  // Run one fused elementwise kernel with an optional trailing reduction.
  virtual void run(const FusedKernel& kernel, const KernelArgs& args) = 0;
  // C = alpha op(A) op(B) + beta C, strided and batched.
  virtual void gemm(const GemmArgs& args) = 0;
  // Fill a strided view from the Philox4x32-10 stream, bit-identical everywhere.
  virtual void fill_random(const RandomArgs& args) = 0;
  // Wait until all queued work has finished.
  virtual void synchronize() = 0;

  // ---- optional (each has a default) ----

  // Whether the backend accelerates a named feature natively (optional): one of kOptionalOps.
  virtual bool supports(std::string_view feature) const { return false; }

  // The most tensor inputs one fused kernel may read (optional): how a device's limit on
  // kernel argument bytes reaches the compiler, which splits wider kernels (graph/compile.h).
  virtual int max_kernel_inputs() const { return std::numeric_limits<int>::max(); }

  // Convolution and pooling (conv_args.h). The defaults run the reference loops on host
  // copies of the operands (backends/host_ops.h) and warn once that the op is not native,
  // so a port that implements only the core still trains a convnet.
  virtual void conv_fprop(const ConvArgs& args);         // (optional) dst = conv(src, filter)
  virtual void conv_bprop_data(const ConvArgs& args);    // (optional) src = grad wrt src
  virtual void conv_bprop_filter(const ConvArgs& args);  // (optional) filter = grad wrt filter
  // (optional) Both backward passes of one step: conv_bprop_filter(filter_args), then
  // conv_bprop_data(data_args); a backend may share work on the output gradient they both read.
  virtual void conv_bprop(const ConvArgs& filter_args, const ConvArgs& data_args);
  virtual void pool_fprop(const PoolArgs& args);         // (optional) dst (and argmax) = pool(src)
  virtual void pool_bprop(const PoolArgs& args);         // (optional) src = grad wrt src
  // Batch norm (conv_args.h): the same host default. Layers call these only where supports()
  // says native and use op-trees elsewhere (the default is correct, but slow).
  virtual void batch_norm_fprop(const BatchNormArgs& args);  // (optional) dst (and batch mean, var) = bn(src)
  virtual void batch_norm_bprop(const BatchNormArgs& args);  // (optional) diff_src, diff_gamma, diff_beta

  // (optional) The backend's own layout for (C, H, W, N) activations (ActivationLayout::kDevice):
  // 0 when it has none (the default), else the channel block it needs: conv, pool and
  // batch-norm operands with C a multiple of it may be in that layout, which has the same
  // byte size as neon's. Layers exchange activations in it only between these ops, so the
  // layout conversions of a chain of them happen at its ends (layers/device_layout.h).
  virtual int64_t device_layout_block(DType dtype) const { return 0; }

  // ---- identity (not virtual) ----

  // The name in messages: the registry name and which backend object of this process it
  // is ("cpu#2"), so two backends of the same kind in one tree are told apart.
  std::string instance_name() const { return info().name + "#" + std::to_string(instance_); }

 private:
  friend class Buffer;
  static uint64_t NextInstance() {
    static std::atomic<uint64_t> count{0};
    return ++count;
  }

  std::shared_ptr<BackendAnchor> anchor_;
  uint64_t instance_;
};

inline Buffer::Buffer(Backend& backend, size_t size_bytes)
    : anchor_(backend.anchor_), backend_name_(backend.instance_name()), size_bytes_(size_bytes) {}

inline void Buffer::ThrowBackendGone() const {
  throw BackendError("a buffer of " + std::to_string(size_bytes_) + " bytes was used after its backend '" +
                     backend_name_ + "' was destroyed; keep a backend alive while its tensors are in use");
}

}  // namespace neon
