#include "layers/costs.h"

#include "core/error.h"

namespace neon {

Expr CrossEntropyMulti::operator()(const Expr& y, const Expr& t) const { return sum(-t * safelog(y), 0); }
Expr CrossEntropyMulti::bprop(const Expr& y, const Expr& t) const { return -t / y; }
std::optional<Expr> CrossEntropyMulti::fused_bprop(const Transform& transform, const Expr& y, const Expr& t) const {
  // Softmax's Jacobian times -t/y is y - t when each target column sums to 1.
  if (dynamic_cast<const Softmax*>(&transform) == nullptr) return std::nullopt;
  return y - t;
}

Expr CrossEntropyBinary::operator()(const Expr& y, const Expr& t) const {
  return sum(-(t * safelog(y) + (1.0 - t) * safelog(1.0 - y)), 0);
}
Expr CrossEntropyBinary::bprop(const Expr& y, const Expr& t) const { return (y - t) / (y * (1.0 - y)); }
std::optional<Expr> CrossEntropyBinary::fused_bprop(const Transform& transform, const Expr& y, const Expr& t) const {
  if (dynamic_cast<const Logistic*>(&transform) == nullptr) return std::nullopt;
  return y - t;
}

Expr SumSquared::operator()(const Expr& y, const Expr& t) const { return sum(sqr(y - t), 0) / 2.0; }
Expr SumSquared::bprop(const Expr& y, const Expr& t) const { return y - t; }

Expr MeanSquared::operator()(const Expr& y, const Expr& t) const { return mean(sqr(y - t), 0) / 2.0; }
Expr MeanSquared::bprop(const Expr& y, const Expr& t) const {
  return (y - t) / static_cast<double>(y.shape()[0]);
}

GeneralizedCost::GeneralizedCost(std::shared_ptr<CostFunction> costfunc) : costfunc_(std::move(costfunc)) {
  if (!costfunc_) throw ArgumentError("GeneralizedCost: no cost function given");
}

void GeneralizedCost::allocate(Backend& backend, int64_t rows, int64_t batch_size, DType dtype) {
  cost_ = zeros(backend, {1, 1}, dtype, "cost");
  deltas_ = empty(backend, {rows, batch_size}, dtype, "cost.deltas");
}

void GeneralizedCost::CheckShapes(const Tensor& y, const Tensor& t, const char* what) const {
  if (!deltas_.defined()) throw ArgumentError(std::string("cost ") + costfunc_->describe() + ": " + what + " before allocate");
  bool fits = y.rows2d() == deltas_.shape()[0] && y.cols2d() == deltas_.shape()[1] && t.rows2d() == y.rows2d() &&
              t.cols2d() == y.cols2d();
  if (!fits) {
    throw ShapeError("cost " + costfunc_->describe() + ": outputs " + ShapeString(y.shape()) + " and targets " +
                     ShapeString(t.shape()) + " do not match the model's output (" +
                     std::to_string(deltas_.shape()[0]) + " features x batch " + std::to_string(deltas_.shape()[1]) +
                     ")");
  }
}

void GeneralizedCost::get_cost(const Tensor& y, const Tensor& t) {
  CheckShapes(y, t, "get_cost");
  cost_.assign(sum((*costfunc_)(y, t)) / static_cast<double>(y.cols2d()));
}

bool GeneralizedCost::fuses_with(const Transform& transform) const {
  Expr probe = 0.0;
  return costfunc_->fused_bprop(transform, probe, probe).has_value();
}

Tensor GeneralizedCost::get_errors(const Tensor& y, const Tensor& t, const Transform* fused) {
  CheckShapes(y, t, "get_errors");
  double scale = 1.0 / static_cast<double>(y.cols2d());
  std::optional<Expr> gradient;
  if (fused != nullptr) gradient = costfunc_->fused_bprop(*fused, y, t);
  if (fused != nullptr && !gradient) {
    throw ArgumentError("cost " + costfunc_->describe() + " does not absorb " + fused->describe());
  }
  deltas_.assign((gradient ? *gradient : costfunc_->bprop(y, t)) * scale);
  return deltas_;
}

double GeneralizedCost::cost_value() const { return cost_.get<double>()[0]; }

Expr Misclassification::operator()(const Expr& y, const Expr& t) const { return argmax(y, 0) != argmax(t, 0); }
Expr Accuracy::operator()(const Expr& y, const Expr& t) const { return argmax(y, 0) == argmax(t, 0); }

TopKMisclassification::TopKMisclassification(int k) : k_(k) {
  if (k < 1) throw ArgumentError("TopKMisclassification: k must be at least 1, got " + std::to_string(k));
}

Expr TopKMisclassification::operator()(const Expr& y, const Expr& t) const {
  Expr target_score = sum(y * t, 0);
  return sum(y > target_score, 0) >= static_cast<double>(k_);
}

}  // namespace neon
