#include "tests/faulty_backend.h"

#include <vector>

#include "backends/validate.h"
#include "backends/wrapped_buffer.h"
#include "core/error.h"

namespace neon::conformance {

namespace {

// Program with every rint(x) replaced by rint(x + sgn(x) * eps): exact halves move away from zero.
std::vector<Instr> RoundHalvesAway(const std::vector<Instr>& program, int eps_slot) {
  std::vector<Instr> out;
  std::vector<int32_t> moved(program.size());  // old register -> new register
  for (size_t k = 0; k < program.size(); ++k) {
    Instr instr = program[k];
    if (instr.a >= 0) instr.a = moved[instr.a];
    if (instr.b >= 0) instr.b = moved[instr.b];
    if (instr.op == OpKind::kRint) {
      const int32_t base = static_cast<int32_t>(out.size());
      out.push_back({OpKind::kSgn, instr.a, -1, -1});
      out.push_back({OpKind::kScalar, -1, -1, eps_slot});
      out.push_back({OpKind::kMul, base, base + 1, -1});
      out.push_back({OpKind::kAdd, instr.a, base + 2, -1});
      instr.a = base + 3;
    }
    moved[k] = static_cast<int32_t>(out.size());
    out.push_back(instr);
  }
  return out;
}

class FaultyBackend final : public Backend {
 public:
  FaultyBackend(std::unique_ptr<Backend> inner, Fault fault) : inner_(std::move(inner)), fault_(fault) {
    info_ = inner_->info();
    info_.name = "faulty:" + info_.name;
  }
  ~FaultyBackend() override = default;

  const DeviceInfo& info() const override { return info_; }

  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    return std::make_shared<WrappedBuffer>(*this, inner_->allocate(bytes));
  }

  void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) override {
    Call([&] { inner_->copy_in(*Inner(&dst), offset, src, bytes); });
  }

  void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) override {
    if (fault_ == Fault::kCopyOutIgnoresOffset) offset = 0;
    Call([&] { inner_->copy_out(*Inner(&src), offset, dst, bytes); });
  }

  void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) override {
    Call([&] { inner_->copy(*Inner(&src), src_offset, *Inner(&dst), dst_offset, bytes); });
  }

  void run(const FusedKernel& kernel, const KernelArgs& args) override {
    FusedKernel program = kernel;
    KernelArgs inner_args = args;
    for (TensorRef& input : inner_args.inputs) {
      input.buffer = Inner(input.buffer);
      if (fault_ == Fault::kInputIgnoresColumnStride && input.col_stride != 0) input.col_stride = 1;
    }
    inner_args.output.buffer = Inner(args.output.buffer);
    if (fault_ == Fault::kOutputIgnoresRowStride) inner_args.output.row_stride = OutputExtent(kernel, args).cols;
    if (fault_ == Fault::kKernelRandIgnoresStreamOffset) {
      for (const std::vector<Instr>* code : {&kernel.body, &kernel.epilogue}) {
        for (const Instr& instr : *code) {
          if (instr.op == OpKind::kRand && instr.slot + 2 < static_cast<int>(inner_args.params.size())) {
            inner_args.params[instr.slot + 2] = 0;
          }
        }
      }
    }
    if (fault_ == Fault::kRintRoundsHalvesAwayFromZero) {
      program.body = RoundHalvesAway(kernel.body, kernel.num_params);
      program.epilogue = RoundHalvesAway(kernel.epilogue, kernel.num_params);
      program.num_params = kernel.num_params + 1;
      inner_args.params.push_back(1.0 / 1024);  // above float32 rounding at small halves
    }
    if (fault_ == Fault::kEmptyReductionLeavesOutput && kernel.has_reduction) {
      const int64_t length = kernel.reduce_axis == 0   ? args.rows
                             : kernel.reduce_axis == 1 ? args.cols
                                                       : args.rows * args.cols;
      if (length == 0) return;
    }
    Call([&] { inner_->run(program, inner_args); });
  }

  void gemm(const GemmArgs& args) override {
    GemmArgs inner_args = args;
    for (MatrixRef* matrix : {&inner_args.a, &inner_args.b, &inner_args.c}) matrix->buffer = Inner(matrix->buffer);
    if (fault_ == Fault::kGemmReadsCWhenBetaIsZero && args.beta == 0.0) {
      inner_args.beta = 1e-300;  // negligible for finite C, NaN for NaN
    }
    if (fault_ == Fault::kGemmIgnoresBatchStride) inner_args.a.batch_stride = inner_args.b.batch_stride = 0;
    if (fault_ == Fault::kGemmIgnoresTransposeOfA) inner_args.a.trans = false;
    Call([&] { inner_->gemm(inner_args); });
  }

  void fill_random(const RandomArgs& args) override {
    RandomArgs inner_args = args;
    inner_args.dst.buffer = Inner(args.dst.buffer);
    if (fault_ == Fault::kFillIgnoresStreamOffset) inner_args.counter_offset = 0;
    if (fault_ == Fault::kFillIgnoresSeedHighHalf) inner_args.seed &= 0xffffffffu;
    Call([&] { inner_->fill_random(inner_args); });
  }

  void synchronize() override { inner_->synchronize(); }

 private:
  Buffer* Inner(const Buffer* buffer) const { return WrappedBuffer::Unwrap(*this, buffer); }

  // Runs a call on the inner backend; with kSkipsArgumentValidation its ArgumentErrors vanish.
  template <typename Function>
  void Call(Function call) {
    try {
      call();
    } catch (const ArgumentError&) {
      if (fault_ != Fault::kSkipsArgumentValidation) throw;
    }
  }

  std::unique_ptr<Backend> inner_;
  Fault fault_;
  DeviceInfo info_;
};

}  // namespace

std::unique_ptr<Backend> MakeFaultyBackend(std::unique_ptr<Backend> inner, Fault fault) {
  return std::make_unique<FaultyBackend>(std::move(inner), fault);
}

}  // namespace neon::conformance
