#include "backends/shadow_backend.h"

#include <map>
#include <vector>

#include "backends/compare.h"
#include "backends/opencl/kernel_renderer.h"
#include "backends/reference/reference_backend.h"
#include "backends/validate.h"
#include "backends/wrapped_buffer.h"
#include "core/error.h"

namespace neon {

namespace {

// Every element of a strided view, read from a whole-buffer host copy, as double.
std::vector<double> ReadView(const std::vector<std::byte>& bytes, const TensorRef& view, int64_t rows, int64_t cols) {
  std::vector<double> values;
  values.reserve(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const size_t index = static_cast<size_t>(view.offset + i * view.row_stride + j * view.col_stride);
      const std::byte* at = bytes.data() + index * SizeOf(view.dtype);
      switch (view.dtype) {
        case DType::kFloat32: values.push_back(*reinterpret_cast<const float*>(at)); break;
        case DType::kFloat64: values.push_back(*reinterpret_cast<const double*>(at)); break;
        case DType::kInt32: values.push_back(*reinterpret_cast<const int32_t*>(at)); break;
      }
    }
  }
  return values;
}

std::vector<std::byte> HostCopy(Backend& backend, const Buffer& buffer) {
  std::vector<std::byte> bytes(buffer.size_bytes());
  backend.copy_out(buffer, 0, bytes.data(), bytes.size());
  return bytes;
}

std::string ViewText(const char* name, const TensorRef& view) {
  return std::string(name) + ": " + std::string(DTypeName(view.dtype)) + " offset " + std::to_string(view.offset) +
         " strides (" + std::to_string(view.row_stride) + ", " + std::to_string(view.col_stride) + ")";
}

std::string ProgramText(const std::vector<Instr>& program) {
  std::string text;
  for (size_t k = 0; k < program.size(); ++k) {
    const Instr& instr = program[k];
    text += "    r" + std::to_string(k) + " = " + std::string(OpName(instr.op));
    if (instr.a >= 0) text += " r" + std::to_string(instr.a);
    if (instr.b >= 0) text += " r" + std::to_string(instr.b);
    if (instr.slot >= 0) text += " [slot " + std::to_string(instr.slot) + "]";
    text += "\n";
  }
  return text;
}

// The device buffers a stage touches, each copied once into a buffer of the shadow.
class ShadowCopies {
 public:
  ShadowCopies(Backend& device, Backend& shadow) : device_(device), shadow_(shadow) {}

  Buffer* Of(Buffer* buffer) {
    if (buffer == nullptr) return nullptr;
    std::shared_ptr<Buffer>& copy = copies_[buffer];
    if (!copy) {
      std::vector<std::byte> bytes = HostCopy(device_, *buffer);
      copy = shadow_.allocate(bytes.size());
      shadow_.copy_in(*copy, 0, bytes.data(), bytes.size());
    }
    return copy.get();
  }

 private:
  Backend& device_;
  Backend& shadow_;
  std::map<const Buffer*, std::shared_ptr<Buffer>> copies_;
};

class ShadowBackend final : public Backend {
 public:
  explicit ShadowBackend(std::unique_ptr<Backend> device) : device_(std::move(device)), shadow_(MakeReferenceBackend()) {
    info_ = device_->info();
    info_.description += " (shadow-validated against reference)";
  }
  ~ShadowBackend() override = default;

  const DeviceInfo& info() const override { return info_; }
  bool supports(std::string_view feature) const override { return device_->supports(feature); }
  int max_kernel_inputs() const override { return device_->max_kernel_inputs(); }

  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    return std::make_shared<WrappedBuffer>(*this, device_->allocate(bytes));
  }
  void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) override {
    device_->copy_in(*Inner(&dst), offset, src, bytes);
  }
  void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) override {
    device_->copy_out(*Inner(&src), offset, dst, bytes);
  }
  void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) override {
    device_->copy(*Inner(&src), src_offset, *Inner(&dst), dst_offset, bytes);
  }
  void synchronize() override { device_->synchronize(); }

  void run(const FusedKernel& kernel, const KernelArgs& args) override {
    KernelArgs on_device = args;
    for (TensorRef& input : on_device.inputs) input.buffer = Inner(input.buffer);
    on_device.output.buffer = Inner(args.output.buffer);
    ShadowCopies copies(*device_, *shadow_);
    KernelArgs on_shadow = on_device;
    for (TensorRef& input : on_shadow.inputs) input.buffer = copies.Of(input.buffer);
    on_shadow.output.buffer = copies.Of(on_device.output.buffer);  // copied before the device writes it
    device_->run(kernel, on_device);
    shadow_->run(kernel, on_shadow);
    const Extent out = OutputExtent(kernel, args);
    Compare(on_device.output, on_shadow.output, out.rows, out.cols, Tolerance(kernel.output_dtype),
            [&] { return KernelReport(kernel, on_device); });
  }

  void gemm(const GemmArgs& args) override {
    GemmArgs on_device = args;
    for (MatrixRef* matrix : {&on_device.a, &on_device.b, &on_device.c}) matrix->buffer = Inner(matrix->buffer);
    ShadowCopies copies(*device_, *shadow_);
    GemmArgs on_shadow = on_device;
    for (MatrixRef* matrix : {&on_shadow.a, &on_shadow.b, &on_shadow.c}) matrix->buffer = copies.Of(matrix->buffer);
    device_->gemm(on_device);
    shadow_->gemm(on_shadow);
    for (int64_t b = 0; b < args.batch; ++b) {
      const auto c_view = [&](const MatrixRef& c) {
        return TensorRef{c.buffer, c.offset + b * c.batch_stride, c.ld, 1, args.dtype};
      };
      Compare(c_view(on_device.c), c_view(on_shadow.c), args.m, args.n, Tolerance(args.dtype), [&] {
        return "stage: gemm (matrix " + std::to_string(b) + " of " + std::to_string(args.batch) + ")\n  m=" +
               std::to_string(args.m) + " n=" + std::to_string(args.n) + " k=" + std::to_string(args.k) +
               " alpha=" + std::to_string(args.alpha) + " beta=" + std::to_string(args.beta) + " " +
               std::string(DTypeName(args.dtype)) + "; lda=" + std::to_string(args.a.ld) +
               (args.a.trans ? " (A transposed)" : "") + " ldb=" + std::to_string(args.b.ld) +
               (args.b.trans ? " (B transposed)" : "") + " ldc=" + std::to_string(args.c.ld) + "\n";
      });
    }
  }

  void fill_random(const RandomArgs& args) override {
    RandomArgs on_device = args;
    on_device.dst.buffer = Inner(args.dst.buffer);
    ShadowCopies copies(*device_, *shadow_);
    RandomArgs on_shadow = on_device;
    on_shadow.dst.buffer = copies.Of(on_device.dst.buffer);
    device_->fill_random(on_device);
    shadow_->fill_random(on_shadow);
    Compare(on_device.dst, on_shadow.dst, args.rows, args.cols, 0.0, [&] {  // Philox is bit-identical
      return "stage: fill_random (distribution " + std::to_string(static_cast<int>(args.distribution)) + ", a=" +
             std::to_string(args.a) + " b=" + std::to_string(args.b) + ", seed " + std::to_string(args.seed) +
             ", stream offset " + std::to_string(args.counter_offset) + ")\n  " + std::to_string(args.rows) + " x " +
             std::to_string(args.cols) + "; " + ViewText("dst", args.dst) + "\n";
    });
  }

 private:
  Buffer* Inner(const Buffer* buffer) const { return WrappedBuffer::Unwrap(*this, buffer); }

  static double Tolerance(DType dtype) {
    return dtype == DType::kFloat64 ? kShadowFloat64Tolerance : kShadowFloat32Tolerance;
  }

  std::string KernelReport(const FusedKernel& kernel, const KernelArgs& args) const {
    std::string text = "stage: fused kernel, " + std::to_string(args.rows) + " x " + std::to_string(args.cols) +
                       ", compute " + std::string(DTypeName(kernel.compute_dtype)) + "\n  body:\n" +
                       ProgramText(kernel.body);
    if (kernel.has_reduction) {
      text += "  reduce " + std::string(OpName(kernel.reduce_op)) + " over axis " +
              (kernel.reduce_axis == kAllAxes ? std::string("all") : std::to_string(kernel.reduce_axis)) +
              ", epilogue:\n" + ProgramText(kernel.epilogue);
    }
    for (size_t slot = 0; slot < args.inputs.size(); ++slot) {
      text += "  " + ViewText(("input " + std::to_string(slot)).c_str(), args.inputs[slot]) + "\n";
    }
    text += "  " + ViewText("output", args.output) + "\n";
    if (!args.params.empty()) {
      text += "  params:";
      for (double param : args.params) text += " " + std::to_string(param);
      text += "\n";
    }
    if (info_.kind == "opencl") text += "  OpenCL C source:\n" + opencl::RenderFusedKernel(kernel, false).source;
    return text;
  }

  // Stops the program (ShadowMismatchError) when the device's view differs from the shadow's.
  template <typename Report>
  void Compare(const TensorRef& on_device, const TensorRef& on_shadow, int64_t rows, int64_t cols, double tolerance,
               Report report) {
    if (rows <= 0 || cols <= 0) return;
    const std::vector<double> expected = ReadView(HostCopy(*shadow_, *on_shadow.buffer), on_shadow, rows, cols);
    const std::vector<double> actual = ReadView(HostCopy(*device_, *on_device.buffer), on_device, rows, cols);
    const Comparison comparison = CompareResults(expected, actual, tolerance);
    if (comparison.ok) return;
    const size_t first = comparison.first_difference;
    throw ShadowMismatchError("shadow validation: '" + info_.name + "' differs from reference\n" + report() +
                              "  " + comparison.message + " (element " + std::to_string(first) + " is (" +
                              std::to_string(static_cast<int64_t>(first) / cols) + ", " +
                              std::to_string(static_cast<int64_t>(first) % cols) + ") of " + std::to_string(rows) +
                              " x " + std::to_string(cols) + ")");
  }

  std::unique_ptr<Backend> device_;
  std::unique_ptr<Backend> shadow_;
  DeviceInfo info_;
};

}  // namespace

std::unique_ptr<Backend> MakeShadowValidatedBackend(std::unique_ptr<Backend> device) {
  return std::make_unique<ShadowBackend>(std::move(device));
}

}  // namespace neon
