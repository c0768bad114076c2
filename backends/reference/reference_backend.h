// The reference backend: the living specification every other backend is
// compared against. Plain loops over host memory, every value computed in
// float64, no caching and no cleverness; correctness over speed.
#pragma once

#include <memory>

#include "backends/backend.h"

namespace neon {

class ReferenceBackend final : public Backend {
 public:
  ReferenceBackend();

  const DeviceInfo& info() const override { return info_; }
  std::shared_ptr<Buffer> allocate(size_t bytes) override;
  void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) override;
  void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) override;
  void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset,
            size_t bytes) override;
  void run(const FusedKernel& kernel, const KernelArgs& args) override;
  void gemm(const GemmArgs& args) override;
  void fill_random(const RandomArgs& args) override;
  void synchronize() override {}  // every call completes before it returns

  // Convolution, pooling and batch norm: the host_ops loops are this backend's own implementation.
  bool supports(std::string_view feature) const override;
  void conv_fprop(const ConvArgs& args) override;
  void conv_bprop_data(const ConvArgs& args) override;
  void conv_bprop_filter(const ConvArgs& args) override;
  void pool_fprop(const PoolArgs& args) override;
  void pool_bprop(const PoolArgs& args) override;
  void batch_norm_fprop(const BatchNormArgs& args) override;
  void batch_norm_bprop(const BatchNormArgs& args) override;

 private:
  DeviceInfo info_;
};

std::unique_ptr<Backend> MakeReferenceBackend();

}  // namespace neon
