// The `cpu` backend: host memory, fused op-tree kernels evaluated tile by tile
// with SIMD (Google Highway) on OpenMP threads, GEMM through oneDNN, Philox
// fills bit-identical to every other backend.
#pragma once

#include <memory>
#include <string_view>

#include "backends/backend.h"
#include "backends/cpu/batch_norm.h"
#include "backends/cpu/conv.h"
#include "backends/cpu/pool.h"

namespace neon {

// Thread counts the cpu backend accepts: [1, kMaxCpuThreads].
constexpr int kMaxCpuThreads = 4096;

// `text` as a thread count; ArgumentError naming `source` (e.g. "--threads",
// "NEON_NUM_THREADS") and the valid range when it is empty, not a whole number or out of range.
int ParseThreadCount(std::string_view text, std::string_view source);

class CpuBackend final : public Backend {
 public:
  // num_threads <= 0: NEON_NUM_THREADS when set, else every core.
  explicit CpuBackend(int num_threads = 0);
  ~CpuBackend() override;

  const DeviceInfo& info() const override { return info_; }
  std::shared_ptr<Buffer> allocate(size_t bytes) override;
  void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) override;
  void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) override;
  void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) override;
  void run(const FusedKernel& kernel, const KernelArgs& args) override;
  void gemm(const GemmArgs& args) override;
  void fill_random(const RandomArgs& args) override;
  // Work runs synchronously on the calling thread's OpenMP pool: nothing is queued.
  void synchronize() override {}
  // float32 convolution and batch norm through oneDNN (float64: the reference loops); pooling
  // runs its own loops in place (cpu/pool.h).
  bool supports(std::string_view feature) const override;
  void conv_fprop(const ConvArgs& args) override;
  void conv_bprop_data(const ConvArgs& args) override;
  void conv_bprop_filter(const ConvArgs& args) override;
  void conv_bprop(const ConvArgs& filter_args, const ConvArgs& data_args) override;
  void pool_fprop(const PoolArgs& args) override;
  void pool_bprop(const PoolArgs& args) override;
  void batch_norm_fprop(const BatchNormArgs& args) override;
  void batch_norm_bprop(const BatchNormArgs& args) override;
  // float32: oneDNN's channel-blocked layout (16 channels with AVX-512, else 8), which its
  // convolutions pick; conv, pool and batch norm read and write it (cpu/onednn_layout.h).
  int64_t device_layout_block(DType dtype) const override;

  // Threads each launch may use.
  int num_threads() const { return num_threads_; }

 private:
  void CheckOwned(const Buffer* buffer, const char* what) const;

  void CheckConvArgs(const ConvArgs& args, ConvPass pass) const;
  void Conv(const ConvArgs& args, ConvPass pass);
  void Pool(const PoolArgs& args, bool bprop);
  void BatchNorm(const BatchNormArgs& args, bool bprop);

  int num_threads_;
  DeviceInfo info_;
  std::unique_ptr<cpu::ConvPrimitives> conv_;
  std::unique_ptr<cpu::BatchNormPrimitives> batch_norm_;
  std::unique_ptr<cpu::PoolPrimitives> pool_;
};

// The cpu backend with num_threads threads (0: NEON_NUM_THREADS, else all cores).
std::unique_ptr<Backend> MakeCpuBackend(int num_threads = 0);

}  // namespace neon
