#include "backends/cpu/cpu_backend.h"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "backends/cpu/fused.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/onednn_layout.h"
#include "backends/cpu/pool.h"
#include "backends/cpu/random.h"
#include "backends/cpu/simd_kernels.h"
#include "backends/host_buffer.h"
#include "backends/host_ops.h"
#include "backends/validate.h"
#include "core/error.h"

namespace neon {

namespace {

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  if (const char* env = std::getenv("NEON_NUM_THREADS"); env != nullptr && *env != '\0') {
    return ParseThreadCount(env, "NEON_NUM_THREADS");
  }
  return omp_get_num_procs();
}

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}


}  // namespace

int ParseThreadCount(std::string_view text, std::string_view source) {
  const std::string quoted = std::string(source) + "='" + std::string(text) + "'";
  const std::string expected = "expected a whole number of threads in [1, " + std::to_string(kMaxCpuThreads) + "]";
  if (text.empty()) throw ArgumentError(std::string(source) + " is empty; " + expected);
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw ArgumentError(quoted + " is not a number; " + expected);
    value = std::min<int64_t>(value * 10 + (c - '0'), int64_t{kMaxCpuThreads} + 1);  // saturates: no overflow
  }
  if (value < 1 || value > kMaxCpuThreads) throw ArgumentError(quoted + " is out of range; " + expected);
  return static_cast<int>(value);
}

CpuBackend::CpuBackend(int num_threads)
    : num_threads_(ResolveThreads(num_threads)),
      conv_(std::make_unique<cpu::ConvPrimitives>()),
      batch_norm_(std::make_unique<cpu::BatchNormPrimitives>()),
      pool_(std::make_unique<cpu::PoolPrimitives>()) {
  info_.name = "cpu";
  info_.kind = "cpu";
  info_.description = CpuModel() + " (SIMD " + cpu::SimdTargetName() + ", " + std::to_string(num_threads_) +
                      " OpenMP threads, oneDNN GEMM)";
  info_.memory_bytes = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  info_.compute_units = num_threads_;
  info_.supports_float64 = true;
}

std::shared_ptr<Buffer> CpuBackend::allocate(size_t bytes) { return std::make_shared<HostBuffer>(*this, bytes); }

void CpuBackend::CheckOwned(const Buffer* buffer, const char* what) const {
  if (buffer != nullptr) CheckOwnedBy(buffer, *this, what);  // a missing buffer is named by CheckView
}

void CpuBackend::copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) {
  CheckOwned(&dst, "copy_in");
  CheckByteRange(dst, offset, bytes, "copy_in");
  if (bytes > 0) std::memcpy(HostBuffer::Data(&dst) + offset, src, bytes);
}

void CpuBackend::copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) {
  CheckOwned(&src, "copy_out");
  CheckByteRange(src, offset, bytes, "copy_out");
  if (bytes > 0) std::memcpy(dst, HostBuffer::Data(&src) + offset, bytes);
}

void CpuBackend::copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) {
  CheckOwned(&src, "copy");
  CheckOwned(&dst, "copy");
  CheckByteRange(src, src_offset, bytes, "copy (source)");
  CheckByteRange(dst, dst_offset, bytes, "copy (destination)");
  if (bytes > 0) std::memmove(HostBuffer::Data(&dst) + dst_offset, HostBuffer::Data(&src) + src_offset, bytes);
}

void CpuBackend::run(const FusedKernel& kernel, const KernelArgs& args) {
  CheckKernelLaunch(kernel, args, *this);
  cpu::RunFused(kernel, args, num_threads_);
}

void CpuBackend::gemm(const GemmArgs& args) {
  CheckOwned(args.a.buffer, "gemm (A)");
  CheckOwned(args.b.buffer, "gemm (B)");
  CheckOwned(args.c.buffer, "gemm (C)");
  cpu::Gemm(args, num_threads_);
}

void CpuBackend::fill_random(const RandomArgs& args) {
  CheckOwned(args.dst.buffer, "fill_random");
  cpu::FillRandom(args, num_threads_);
}

CpuBackend::~CpuBackend() = default;

bool CpuBackend::supports(std::string_view feature) const {
  return feature == "conv_fprop" || feature == "conv_bprop_data" || feature == "conv_bprop_filter" ||
         feature == "pool_fprop" || feature == "pool_bprop" || feature == "batch_norm_fprop" ||
         feature == "batch_norm_bprop";
}

int64_t CpuBackend::device_layout_block(DType dtype) const {
  return dtype == DType::kFloat32 ? cpu::DeviceLayoutBlock() : 0;  // oneDNN convolves float32 only
}

void CpuBackend::CheckConvArgs(const ConvArgs& args, ConvPass pass) const {
  static const char* const kNames[] = {"conv_fprop", "conv_bprop_data", "conv_bprop_filter"};
  host_ops::CheckConv(args, kNames[static_cast<int>(pass)], device_layout_block(args.dtype));
  CheckOwned(args.src.buffer, kNames[static_cast<int>(pass)]);
  CheckOwned(args.filter.buffer, kNames[static_cast<int>(pass)]);
  CheckOwned(args.dst.buffer, kNames[static_cast<int>(pass)]);
}

void CpuBackend::Conv(const ConvArgs& args, ConvPass pass) {
  CheckConvArgs(args, pass);
  if (args.dtype == DType::kFloat64) {
    host_ops::ConvOnHost(*this, args, pass, false);  // oneDNN has no float64 convolution
    return;
  }
  conv_->Run(args, pass, num_threads_);
}

void CpuBackend::conv_fprop(const ConvArgs& args) { Conv(args, ConvPass::kFprop); }
void CpuBackend::conv_bprop_data(const ConvArgs& args) { Conv(args, ConvPass::kBpropData); }
void CpuBackend::conv_bprop_filter(const ConvArgs& args) { Conv(args, ConvPass::kBpropFilter); }

void CpuBackend::conv_bprop(const ConvArgs& filter_args, const ConvArgs& data_args) {
  if (filter_args.dtype == DType::kFloat64 || data_args.dtype == DType::kFloat64) {
    Backend::conv_bprop(filter_args, data_args);
    return;
  }
  CheckConvArgs(filter_args, ConvPass::kBpropFilter);
  CheckConvArgs(data_args, ConvPass::kBpropData);
  conv_->RunBackward(filter_args, data_args, num_threads_);
}

void CpuBackend::Pool(const PoolArgs& args, bool bprop) {
  const char* op = bprop ? "pool_bprop" : "pool_fprop";
  host_ops::CheckPool(args, op, device_layout_block(args.dtype));
  CheckOwned(args.src.buffer, op);
  CheckOwned(args.dst.buffer, op);
  if (args.op == PoolOp::kMax) CheckOwned(args.argmax.buffer, op);
  pool_->Run(args, bprop, num_threads_);
}

void CpuBackend::pool_fprop(const PoolArgs& args) { Pool(args, false); }
void CpuBackend::pool_bprop(const PoolArgs& args) { Pool(args, true); }

void CpuBackend::BatchNorm(const BatchNormArgs& args, bool bprop) {
  const char* op = bprop ? "batch_norm_bprop" : "batch_norm_fprop";
  host_ops::CheckBatchNorm(args, bprop, device_layout_block(args.dtype));
  std::vector<const BufferRef*> operands = {&args.src, &args.gamma, &args.mean, &args.var};
  if (bprop) {
    operands.insert(operands.end(), {&args.diff_dst, &args.diff_src, &args.diff_gamma, &args.diff_beta});
  } else {
    operands.insert(operands.end(), {&args.beta, &args.dst});
  }
  for (const BufferRef* ref : operands) CheckOwned(ref->buffer, op);
  batch_norm_->Run(args, bprop, num_threads_);
}

void CpuBackend::batch_norm_fprop(const BatchNormArgs& args) { BatchNorm(args, false); }
void CpuBackend::batch_norm_bprop(const BatchNormArgs& args) { BatchNorm(args, true); }

std::unique_ptr<Backend> MakeCpuBackend(int num_threads) { return std::make_unique<CpuBackend>(num_threads); }

}  // namespace neon
