#include "graph/compile.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_set>

#include "core/error.h"

namespace neon {

namespace {

bool IsUnitDims(const Shape& a, const Shape& b) { return (a[0] == 1) == (b[0] == 1) && (a[1] == 1) == (b[1] == 1); }

// Builds one fused kernel: value-numbered instructions, deduplicated input
// slots and parameters.
class KernelBuilder {
 public:
  explicit KernelBuilder(KernelStage& stage) : stage_(stage) {}

  // Starts the epilogue section (after the body).
  void BeginEpilogue() { section_ = &stage_.kernel.epilogue; numbering_.clear(); }

  int Emit(Instr instr) {
    auto key = std::make_tuple(instr.op, instr.a, instr.b, instr.slot);
    if (instr.op != OpKind::kRand) {
      auto found = numbering_.find(key);
      if (found != numbering_.end()) return found->second;
    }
    int reg = static_cast<int>(section_->size());
    section_->push_back(instr);
    numbering_[key] = reg;
    return reg;
  }

  int Input(const ViewRef& view, DType dtype) {
    for (size_t i = 0; i < stage_.inputs.size(); ++i) {
      if (stage_.inputs[i] == view) return Emit({OpKind::kTensor, -1, -1, static_cast<int>(i)});
    }
    stage_.inputs.push_back(view);
    stage_.kernel.input_dtypes.push_back(dtype);
    return Emit({OpKind::kTensor, -1, -1, static_cast<int>(stage_.inputs.size() - 1)});
  }

  int Param(int binding_param) {
    for (size_t i = 0; i < stage_.params.size(); ++i) {
      if (stage_.params[i] == binding_param) return Emit({OpKind::kScalar, -1, -1, static_cast<int>(i)});
    }
    stage_.params.push_back(binding_param);
    return Emit({OpKind::kScalar, -1, -1, static_cast<int>(stage_.params.size() - 1)});
  }

  int Rand() {
    int slot = static_cast<int>(stage_.params.size());
    stage_.params.insert(stage_.params.end(), {-1, -1, -1});
    stage_.rand_slots.push_back(slot);
    return Emit({OpKind::kRand, -1, -1, slot});
  }

 private:
  KernelStage& stage_;
  std::vector<Instr>* section_ = &stage_.kernel.body;
  std::map<std::tuple<OpKind, int, int, int>, int> numbering_;
};

class Compiler {
 public:
  Compiler(const Tensor& output, const Binding& binding, const BindingIndex& index, int node_budget)
      : output_(output), binding_(binding), index_(index), node_budget_(node_budget) {
    tree_dtype_ = output.dtype() == DType::kFloat32 ? DType::kFloat32 : DType::kFloat64;
    for (const Tensor* leaf : binding.leaves) {
      if (leaf->dtype() != DType::kFloat32) tree_dtype_ = DType::kFloat64;
    }
  }

  Plan CompileRoot(const Expr& value) {
    const Shape output_shape = {output_.rows2d(), output_.cols2d()};
    bool overlaps = false;
    for (const Tensor* leaf : binding_.leaves) {
      overlaps |= leaf->buffer() == output_.buffer() && !SameView(*leaf, output_);
    }
    std::unordered_set<const OpNode*> visited;
    overlaps = overlaps || TransposeReadsOutput(value, visited);
    if (overlaps) {
      // Reading and writing overlapping views in one pass is unsafe: go through a temporary.
      int temp = NewTemp({ShapeRef::Source::kOutput}, tree_dtype_);
      CompileInto(value, {ViewRef::Source::kTemp, temp}, tree_dtype_, output_shape, {ShapeRef::Source::kOutput});
      CopyStage({ViewRef::Source::kTemp, temp}, tree_dtype_);
    } else {
      CompileInto(value, {ViewRef::Source::kOutput}, output_.dtype(), output_shape, {ShapeRef::Source::kOutput});
    }
    return std::move(plan_);
  }

 private:
  // ---- stage emission ----

  // Emits stages that compute `value` into `target` whose shape is `target_shape` (rows, cols at
  // compile time, for unit-dimension decisions) and at run time `target_ref`.
  void CompileInto(const Expr& value, ViewRef target, DType target_dtype, const Shape& target_shape,
                   ShapeRef target_ref) {
    if (TryGemm(value, target, target_dtype, target_shape)) return;
    kernel_nodes_ = 0;
    in_epilogue_ = false;
    kernel_shape_ = target_shape;
    KernelStage stage;
    stage.output = target;
    stage.kernel.output_dtype = target_dtype;
    KernelBuilder builder(stage);
    std::optional<Expr> reduction = FindFusableReduction(value, target_shape);
    if (reduction) {
      const Expr& operand = reduction->operand(0);
      stage.kernel.has_reduction = true;
      stage.kernel.reduce_op = reduction->op();
      stage.kernel.reduce_axis = reduction->axis();
      stage.iteration = ShapeOf(operand);
      kernel_shape_ = operand.shape();
      Lower(operand, builder);
      builder.BeginEpilogue();
      in_epilogue_ = true;
      fused_reduction_ = reduction->node();
      memo_.clear();
      Lower(value, builder);
      fused_reduction_ = nullptr;
    } else {
      stage.iteration = target_ref;
      Lower(value, builder);
    }
    memo_.clear();
    FinishKernel(stage);
  }

  void FinishKernel(KernelStage& stage) {
    FusedKernel& kernel = stage.kernel;
    kernel.num_params = static_cast<int>(stage.params.size());
    bool all_float32 = kernel.output_dtype == DType::kFloat32;
    for (DType dtype : kernel.input_dtypes) all_float32 &= dtype == DType::kFloat32;
    kernel.compute_dtype = all_float32 ? DType::kFloat32 : DType::kFloat64;
    plan_.stages.emplace_back(std::move(stage));
  }

  void CopyStage(ViewRef source, DType dtype) {
    KernelStage stage;
    stage.output = {ViewRef::Source::kOutput};
    stage.kernel.output_dtype = output_.dtype();
    stage.iteration = {ShapeRef::Source::kOutput};
    KernelBuilder builder(stage);
    builder.Input(source, dtype);
    FinishKernel(stage);
  }

  // The first reduction reachable from `value` through elementwise ops whose shape is the
  // target's: it fuses as the kernel's trailing reduction.
  std::optional<Expr> FindFusableReduction(const Expr& value, const Shape& target_shape) {
    std::unordered_set<const OpNode*> visited;
    return FindFusableReduction(value, target_shape, visited);
  }

  std::optional<Expr> FindFusableReduction(const Expr& value, const Shape& target_shape,
                                           std::unordered_set<const OpNode*>& visited) {
    if (!visited.insert(value.node()).second) return std::nullopt;  // shared: searched already
    if (index_.param_of.count(value.node())) return std::nullopt;
    if (IsReduction(value.op())) {
      if (IsUnitDims(value.shape(), target_shape)) return value;
      return std::nullopt;
    }
    if (!IsElementwise(value.op())) return std::nullopt;
    for (const Expr& operand : value.operands()) {
      if (auto found = FindFusableReduction(operand, target_shape, visited)) return found;
    }
    return std::nullopt;
  }

  // ---- lowering into a kernel ----

  int Lower(const Expr& expr, KernelBuilder& builder) {
    auto memo = memo_.find(expr.node());
    if (memo != memo_.end()) return memo->second;
    ++kernel_nodes_;
    int reg = LowerUncached(expr, builder);
    memo_[expr.node()] = reg;
    return reg;
  }

  int LowerUncached(const Expr& expr, KernelBuilder& builder) {
    if (auto param = index_.param_of.find(expr.node()); param != index_.param_of.end()) {
      return builder.Param(param->second);
    }
    switch (ClassOf(expr.op())) {
      case OpClass::kLeaf: {  // only tensors reach here: scalars are params
        int leaf = index_.leaf_of.at(expr.node());
        return builder.Input({ViewRef::Source::kLeaf, leaf}, binding_.leaves[leaf]->dtype());
      }
      case OpClass::kMovement: {
        ViewRef view = ResolveView(expr, tree_dtype_, /*need_unit_stride=*/false);
        return builder.Input(view, DTypeOfView(view));
      }
      case OpClass::kGenerator:
        if (expr.op() == OpKind::kRand) return builder.Rand();
        {  // onehot: idx broadcast against the row (axis 0) or column (axis 1) index
          int indices = LowerOperand(expr.operand(0), builder);
          int position = builder.Emit({expr.axis() == 0 ? OpKind::kRowIndex : OpKind::kColIndex});
          return builder.Emit({OpKind::kEq, indices, position});
        }
      case OpClass::kUnary:
        return builder.Emit({expr.op(), LowerOperand(expr.operand(0), builder)});
      case OpClass::kBinary: {
        int a = LowerOperand(expr.operand(0), builder);
        int b = LowerOperand(expr.operand(1), builder);
        return builder.Emit({expr.op(), a, b});
      }
      case OpClass::kReduction:
        if (expr.node() == fused_reduction_) return builder.Emit({OpKind::kReduced});
        [[fallthrough]];
      case OpClass::kMatmul: {
        ViewRef temp = Materialize(expr, tree_dtype_);
        return builder.Input(temp, tree_dtype_);
      }
      case OpClass::kInternal:
        break;
    }
    throw ArgumentError("compile: unexpected op '" + std::string(OpName(expr.op())) + "' in " + expr.ToString());
  }

  // An operand of the kernel being built: inline, or, once the body has taken in its budget
  // of nodes, a compound elementwise operand goes to a temporary of its own kernel. A
  // broadcast operand only when it holds no rand(): rand() draws one value per element of the
  // kernel it runs in. (The epilogue is not split: it may read the fused reduction.)
  int LowerOperand(const Expr& operand, KernelBuilder& builder) {
    if (kernel_nodes_ >= node_budget_ && !in_epilogue_ && !memo_.count(operand.node()) && SplitsOff(operand)) {
      return builder.Input(Materialize(operand, tree_dtype_), tree_dtype_);
    }
    return Lower(operand, builder);
  }

  // Whether LowerOperand may send `operand` to a temporary once the budget is used up.
  bool SplitsOff(const Expr& operand) {
    const bool compound = (IsElementwise(operand.op()) || operand.op() == OpKind::kOnehot) &&
                          !index_.param_of.count(operand.node());
    return compound && (operand.shape() == kernel_shape_ || !DrawsRandom(operand));
  }

  // Whether `expr` calls rand() (memoised per node).
  bool DrawsRandom(const Expr& expr) {
    if (auto found = draws_random_.find(expr.node()); found != draws_random_.end()) return found->second;
    bool draws = expr.op() == OpKind::kRand;
    if (!index_.param_of.count(expr.node())) {
      for (const Expr& operand : expr.operands()) draws = DrawsRandom(operand) || draws;
    }
    draws_random_[expr.node()] = draws;
    return draws;
  }

  // Computes `expr` into a new temporary (once per node) and returns its view.
  ViewRef Materialize(const Expr& expr, DType dtype) {
    auto key = std::make_pair(expr.node(), dtype);
    if (auto found = materialized_.find(key); found != materialized_.end()) return found->second;
    auto saved_memo = std::move(memo_);
    const int saved_nodes = kernel_nodes_;
    const bool saved_epilogue = in_epilogue_;
    const Shape saved_shape = kernel_shape_;
    const OpNode* saved_reduction = fused_reduction_;
    memo_.clear();
    fused_reduction_ = nullptr;
    ShapeRef shape = ShapeOf(expr);
    int temp = NewTemp(shape, dtype);
    ViewRef view{ViewRef::Source::kTemp, temp};
    CompileInto(expr, view, dtype, expr.shape(), shape);
    memo_ = std::move(saved_memo);
    kernel_nodes_ = saved_nodes;
    in_epilogue_ = saved_epilogue;
    kernel_shape_ = saved_shape;
    fused_reduction_ = saved_reduction;
    materialized_[key] = view;
    return view;
  }

  // A tensor leaf, possibly under transposes, as a view; anything else is materialised.
  // With need_unit_stride the view must also have a unit stride on one axis and `dtype`.
  ViewRef ResolveView(const Expr& expr, DType dtype, bool need_unit_stride) {
    bool transposed = false;
    const Expr* inner = &expr;
    while (inner->op() == OpKind::kTranspose && !index_.param_of.count(inner->node())) {
      transposed = !transposed;
      inner = &inner->operand(0);
    }
    if (inner->op() == OpKind::kTensor) {
      int leaf = index_.leaf_of.at(inner->node());
      const Tensor& tensor = *binding_.leaves[leaf];
      bool unit_stride = LayoutOf(tensor.rows2d(), tensor.cols2d(), tensor.row_stride2d(),
                                  tensor.col_stride2d()) != 'g';
      if (!need_unit_stride || (unit_stride && tensor.dtype() == dtype)) {
        return {ViewRef::Source::kLeaf, leaf, transposed};
      }
      ViewRef copy = Materialize(*inner, dtype);
      copy.transposed = transposed;
      return copy;
    }
    if (inner == &expr) return Materialize(expr, dtype);
    ViewRef temp = Materialize(*inner, dtype);
    temp.transposed = transposed;
    return temp;
  }

  DType DTypeOfView(const ViewRef& view) const {
    if (view.source == ViewRef::Source::kLeaf) return binding_.leaves[view.index]->dtype();
    if (view.source == ViewRef::Source::kTemp) return plan_.temps[view.index].dtype;
    return output_.dtype();
  }

  // ---- GEMM ----

  // value = [s1 *] dot(A, B) [+ [s2 *] output] written straight into `target` when it can be.
  bool TryGemm(const Expr& value, ViewRef target, DType target_dtype, const Shape& target_shape) {
    GemmStage stage;
    const Expr* product = &value;
    if (value.op() == OpKind::kAdd && target.source == ViewRef::Source::kOutput) {
      for (int side = 0; side < 2; ++side) {
        if (MatchScaledOutput(value.operand(1 - side), stage) && IsScaledDot(value.operand(side))) {
          stage.accumulate = true;
          product = &value.operand(side);
          break;
        }
      }
      if (!stage.accumulate) return false;
    }
    const Expr* dot = PeelScale(*product, stage.alpha_scale, stage.alpha_param);
    if (dot == nullptr || dot->op() != OpKind::kDot) return false;
    if (target_dtype == DType::kInt32 || !IsUnitDims(dot->shape(), target_shape) ||
        dot->shape() != value.shape()) {
      return false;
    }
    if (target.source == ViewRef::Source::kOutput) {
      if (LayoutOf(output_.rows2d(), output_.cols2d(), output_.row_stride2d(), output_.col_stride2d()) != 'c') {
        return false;
      }
      for (const Tensor* leaf : binding_.leaves) {
        if (leaf->buffer() == output_.buffer() && ReadsLeaf(*dot, *leaf)) return false;
      }
    }
    stage.dtype = target_dtype;
    stage.a = ResolveView(dot->operand(0), target_dtype, /*need_unit_stride=*/true);
    stage.b = ResolveView(dot->operand(1), target_dtype, /*need_unit_stride=*/true);
    stage.c = target;
    plan_.stages.emplace_back(stage);
    return true;
  }

  // Whether the output's own view is read transposed (x.assign(transpose(x))): a view
  // that differs from the output although its leaf is the same.
  bool TransposeReadsOutput(const Expr& expr, std::unordered_set<const OpNode*>& visited) {
    if (!visited.insert(expr.node()).second) return false;
    if (expr.op() == OpKind::kTranspose && ReadsLeaf(expr.operand(0), output_)) return true;
    for (const Expr& operand : expr.operands()) {
      if (TransposeReadsOutput(operand, visited)) return true;
    }
    return false;
  }

  bool IsScaledDot(const Expr& expr) {
    double scale;
    int param;
    const Expr* inner = PeelScale(expr, scale, param);
    return inner != nullptr && inner->op() == OpKind::kDot;
  }

  // Strips scalar factors (`param * x`, `x * param`, `-x`); returns x.
  const Expr* PeelScale(const Expr& expr, double& scale, int& param) {
    scale = 1.0;
    param = -1;
    const Expr* inner = &expr;
    while (true) {
      if (inner->op() == OpKind::kNeg && !index_.param_of.count(inner->node())) {
        scale = -scale;
        inner = &inner->operand(0);
        continue;
      }
      if (inner->op() == OpKind::kMul && param < 0) {
        auto left = index_.param_of.find(inner->operand(0).node());
        auto right = index_.param_of.find(inner->operand(1).node());
        if (left != index_.param_of.end() && right == index_.param_of.end()) {
          param = left->second;
          inner = &inner->operand(1);
          continue;
        }
        if (right != index_.param_of.end() && left == index_.param_of.end()) {
          param = right->second;
          inner = &inner->operand(0);
          continue;
        }
      }
      return inner;
    }
  }

  // `[s *] output` where output is exactly the assignment's destination view.
  bool MatchScaledOutput(const Expr& expr, GemmStage& stage) {
    const Expr* inner = PeelScale(expr, stage.beta_scale, stage.beta_param);
    if (inner->op() != OpKind::kTensor) return false;
    return SameView(inner->tensor(), output_);
  }

  bool ReadsLeaf(const Expr& expr, const Tensor& leaf) {
    std::unordered_set<const OpNode*> visited;
    return ReadsLeaf(expr, leaf, visited);
  }

  bool ReadsLeaf(const Expr& expr, const Tensor& leaf, std::unordered_set<const OpNode*>& visited) {
    if (!visited.insert(expr.node()).second) return false;
    if (expr.op() == OpKind::kTensor) return expr.tensor().buffer() == leaf.buffer();
    for (const Expr& operand : expr.operands()) {
      if (ReadsLeaf(operand, leaf, visited)) return true;
    }
    return false;
  }

  // ---- shapes and temporaries ----

  ShapeRef ShapeOf(const Expr& expr) const {
    if (index_.param_of.count(expr.node())) return {ShapeRef::Source::kUnit};
    if (auto leaf = index_.leaf_of.find(expr.node()); leaf != index_.leaf_of.end()) {
      return {ShapeRef::Source::kLeaf, leaf->second};
    }
    return {ShapeRef::Source::kNode, index_.node_of.at(expr.node())};
  }

  int NewTemp(ShapeRef shape, DType dtype) {
    plan_.temps.push_back({shape, dtype});
    return static_cast<int>(plan_.temps.size() - 1);
  }

  const Tensor& output_;
  const Binding& binding_;
  const BindingIndex& index_;
  const int node_budget_;  // nodes a kernel body takes in before compound operands split off
  DType tree_dtype_;
  Plan plan_;
  std::unordered_map<const OpNode*, int> memo_;
  std::map<std::pair<const OpNode*, DType>, ViewRef> materialized_;
  std::unordered_map<const OpNode*, bool> draws_random_;
  const OpNode* fused_reduction_ = nullptr;
  int kernel_nodes_ = 0;      // nodes the current kernel body has taken in
  bool in_epilogue_ = false;  // lowering the current kernel's epilogue
  Shape kernel_shape_;        // the current kernel's iteration shape
};

// The most tensor inputs one kernel of `plan` reads.
size_t WidestKernel(const Plan& plan) {
  size_t widest = 0;
  for (const auto& stage : plan.stages) {
    if (const auto* kernel = std::get_if<KernelStage>(&stage)) widest = std::max(widest, kernel->inputs.size());
  }
  return widest;
}

}  // namespace

Plan Compile(const Expr& value, const Tensor& output, const Binding& binding, const BindingIndex& index,
             int max_kernel_inputs) {
  if (max_kernel_inputs < 2) {
    throw ArgumentError("compile: a backend must allow at least 2 tensor inputs per fused kernel, not " +
                        std::to_string(max_kernel_inputs));
  }
  // Halving the budget narrows every kernel; at one node a body reads its operands only.
  for (int budget = kKernelNodeBudget;; budget /= 2) {
    Plan plan = Compiler(output, binding, index, budget).CompileRoot(value);
    const size_t widest = WidestKernel(plan);
    if (widest <= static_cast<size_t>(max_kernel_inputs)) return plan;
    if (budget == 1) {
      throw BackendError("compile: assigning to '" + output.name() + "' needs a fused kernel reading " +
                         std::to_string(widest) + " tensors (a reduction's epilogue or a broadcast operand " +
                         "drawing rand() is not split); backend '" + output.backend().instance_name() +
                         "' allows " + std::to_string(max_kernel_inputs) + " per kernel");
    }
  }
}

std::string Plan::Describe() const {
  std::string text;
  auto view_name = [](const ViewRef& view) {
    std::string name = view.source == ViewRef::Source::kLeaf   ? "leaf" + std::to_string(view.index)
                       : view.source == ViewRef::Source::kTemp ? "temp" + std::to_string(view.index)
                                                               : std::string("out");
    return view.transposed ? name + ".T" : name;
  };
  for (const auto& stage : stages) {
    if (const auto* gemm = std::get_if<GemmStage>(&stage)) {
      text += "gemm " + view_name(gemm->c) + " = " + view_name(gemm->a) + " x " + view_name(gemm->b) +
              (gemm->accumulate ? " + beta c" : "") + "\n";
    } else {
      const auto& kernel = std::get<KernelStage>(stage);
      text += "kernel " + view_name(kernel.output) + " <- (";
      for (size_t i = 0; i < kernel.inputs.size(); ++i) text += (i ? ", " : "") + view_name(kernel.inputs[i]);
      text += ") " + std::to_string(kernel.kernel.body.size()) + " ops";
      if (kernel.kernel.has_reduction) {
        text += " + " + std::string(OpName(kernel.kernel.reduce_op)) + "(axis " +
                std::to_string(kernel.kernel.reduce_axis) + ") + " +
                std::to_string(kernel.kernel.epilogue.size()) + " ops";
      }
      text += "\n";
    }
  }
  return text;
}

}  // namespace neon
