#include "graph/execute.h"

#include <algorithm>
#include <atomic>

#include "core/error.h"
#include "graph/random_stream.h"

namespace neon {

namespace {

std::atomic<uint64_t> g_kernel_launches{0};
std::atomic<uint64_t> g_gemm_launches{0};

// A view resolved to memory and sizes.
struct ResolvedView {
  TensorRef ref;
  int64_t rows = 0;
  int64_t cols = 0;
};

class Executor {
 public:
  Executor(const Plan& plan, const Binding& binding, const Tensor& output)
      : plan_(plan), binding_(binding), output_(output), backend_(output.backend()) {}

  void Run() {
    temps_.resize(plan_.temps.size());
    leased_.reserve(plan_.temps.size());
    for (size_t i = 0; i < plan_.temps.size(); ++i) {
      const TempSpec& spec = plan_.temps[i];
      auto [rows, cols] = Resolve(spec.shape);
      temps_[i].rows = rows;
      temps_[i].cols = cols;
      size_t bytes = static_cast<size_t>(std::max<int64_t>(rows * cols, 1)) * SizeOf(spec.dtype);
      // Leased for this execution only, so concurrent assignments never share a temporary.
      leased_.push_back(backend_.allocate(bytes));
      temps_[i].ref = {leased_.back().get(), 0, cols, 1, spec.dtype};
    }
    for (const auto& stage : plan_.stages) {
      if (const auto* gemm = std::get_if<GemmStage>(&stage)) {
        RunGemm(*gemm);
        g_gemm_launches.fetch_add(1, std::memory_order_relaxed);
      } else {
        RunKernel(std::get<KernelStage>(stage));
        g_kernel_launches.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

 private:
  std::pair<int64_t, int64_t> Resolve(const ShapeRef& shape) const {
    switch (shape.source) {
      case ShapeRef::Source::kOutput:
        return {output_.rows2d(), output_.cols2d()};
      case ShapeRef::Source::kNode: {
        const Shape& dims = binding_.nodes[shape.index]->shape;
        return {dims[0], dims[1]};
      }
      case ShapeRef::Source::kLeaf: {
        const Tensor& leaf = *binding_.leaves[shape.index];
        return {leaf.rows2d(), leaf.cols2d()};
      }
      case ShapeRef::Source::kUnit:
        break;
    }
    return {1, 1};
  }

  ResolvedView View(const ViewRef& view) const {
    ResolvedView resolved;
    if (view.source == ViewRef::Source::kTemp) {
      resolved = temps_[view.index];
    } else {
      const Tensor& tensor = view.source == ViewRef::Source::kLeaf ? *binding_.leaves[view.index] : output_;
      resolved.ref = {tensor.buffer().get(), tensor.offset(), tensor.row_stride2d(), tensor.col_stride2d(),
                      tensor.dtype()};
      resolved.rows = tensor.rows2d();
      resolved.cols = tensor.cols2d();
    }
    if (view.transposed) {
      std::swap(resolved.rows, resolved.cols);
      std::swap(resolved.ref.row_stride, resolved.ref.col_stride);
    }
    return resolved;
  }

  void RunKernel(const KernelStage& stage) {
    KernelArgs args;
    std::tie(args.rows, args.cols) = Resolve(stage.iteration);
    args.inputs.reserve(stage.inputs.size());
    for (const ViewRef& input : stage.inputs) {
      ResolvedView view = View(input);
      // A unit dimension broadcasts: stride 0 makes every position read the same element.
      if (view.rows == 1) view.ref.row_stride = 0;
      if (view.cols == 1) view.ref.col_stride = 0;
      args.inputs.push_back(view.ref);
    }
    args.output = View(stage.output).ref;
    args.params.resize(stage.params.size());
    for (size_t i = 0; i < stage.params.size(); ++i) {
      if (stage.params[i] >= 0) args.params[i] = binding_.params[stage.params[i]];
    }
    for (int slot : stage.rand_slots) {
      RandomRange range = ReserveRandom(backend_, static_cast<uint64_t>(args.rows * args.cols));
      args.params[slot] = static_cast<double>(range.seed & 0xffffffffu);
      args.params[slot + 1] = static_cast<double>(range.seed >> 32);
      args.params[slot + 2] = static_cast<double>(range.first);
    }
    backend_.run(stage.kernel, args);
  }

  static MatrixRef Matrix(const ResolvedView& view) {
    MatrixRef matrix;
    matrix.buffer = view.ref.buffer;
    matrix.offset = view.ref.offset;
    if (view.ref.col_stride == 1 || view.cols == 1) {
      matrix.ld = std::max<int64_t>({view.ref.row_stride, view.cols, 1});
    } else {  // unit row stride: the transpose of a row-major (cols, rows) matrix
      matrix.trans = true;
      matrix.ld = std::max<int64_t>({view.ref.col_stride, view.rows, 1});
    }
    return matrix;
  }

  void RunGemm(const GemmStage& stage) {
    ResolvedView a = View(stage.a);
    ResolvedView b = View(stage.b);
    ResolvedView c = View(stage.c);
    GemmArgs args;
    args.dtype = stage.dtype;
    args.m = a.rows;
    args.k = a.cols;
    args.n = b.cols;
    args.alpha = stage.alpha_scale * (stage.alpha_param >= 0 ? binding_.params[stage.alpha_param] : 1.0);
    args.beta = stage.accumulate
                    ? stage.beta_scale * (stage.beta_param >= 0 ? binding_.params[stage.beta_param] : 1.0)
                    : 0.0;
    args.a = Matrix(a);
    args.b = Matrix(b);
    args.c = Matrix(c);
    backend_.gemm(args);
  }

  const Plan& plan_;
  const Binding& binding_;
  const Tensor& output_;
  Backend& backend_;
  std::vector<ResolvedView> temps_;
  std::vector<std::shared_ptr<Buffer>> leased_;  // the temporaries' memory, freed after the run
};

}  // namespace

void Execute(const Plan& plan, const Binding& binding, const Tensor& output) {
  Executor(plan, binding, output).Run();
}

LaunchStats GetLaunchStats() {
  return {g_kernel_launches.load(std::memory_order_relaxed), g_gemm_launches.load(std::memory_order_relaxed)};
}

}  // namespace neon
