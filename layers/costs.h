// Costs and metrics (neon.transforms.cost). A cost function gives the cost of
// each sample (summed over its features) and its gradient with respect to the
// output; GeneralizedCost averages over the batch, as PyTorch's mean reduction
// does, so optimizers see the gradient of the mean cost and never divide by N.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "graph/expr.h"
#include "graph/tensor.h"
#include "layers/transforms.h"

namespace neon {

class CostFunction {
 public:
  virtual ~CostFunction() = default;
  // The cost of each sample, (1, N), from outputs y and targets t of shape (F, N).
  virtual Expr operator()(const Expr& y, const Expr& t) const = 0;
  // d(cost of each sample)/dy, (F, N).
  virtual Expr bprop(const Expr& y, const Expr& t) const = 0;
  // When the output layer applies `transform` and the cost absorbs its derivative, the
  // gradient at the transform's input (e.g. y - t for Softmax + CrossEntropyMulti).
  virtual std::optional<Expr> fused_bprop(const Transform& transform, const Expr& y, const Expr& t) const {
    return std::nullopt;
  }
  virtual std::string describe() const = 0;
};

// -sum(t * log(y)) over classes; with Softmax its gradient is y - t (stable).
class CrossEntropyMulti : public CostFunction {
 public:
  Expr operator()(const Expr& y, const Expr& t) const override;
  Expr bprop(const Expr& y, const Expr& t) const override;
  std::optional<Expr> fused_bprop(const Transform& transform, const Expr& y, const Expr& t) const override;
  std::string describe() const override { return "CrossEntropyMulti"; }
};

// -sum(t log(y) + (1 - t) log(1 - y)); with Logistic its gradient is y - t.
class CrossEntropyBinary : public CostFunction {
 public:
  Expr operator()(const Expr& y, const Expr& t) const override;
  Expr bprop(const Expr& y, const Expr& t) const override;
  std::optional<Expr> fused_bprop(const Transform& transform, const Expr& y, const Expr& t) const override;
  std::string describe() const override { return "CrossEntropyBinary"; }
};

// sum((y - t)^2) / 2.
class SumSquared : public CostFunction {
 public:
  Expr operator()(const Expr& y, const Expr& t) const override;
  Expr bprop(const Expr& y, const Expr& t) const override;
  std::string describe() const override { return "SumSquared"; }
};

// mean((y - t)^2) / 2 over the features (neon's MeanSquared).
class MeanSquared : public CostFunction {
 public:
  Expr operator()(const Expr& y, const Expr& t) const override;
  Expr bprop(const Expr& y, const Expr& t) const override;
  std::string describe() const override { return "MeanSquared"; }
};

// The model's cost: a cost function averaged over the batch, with its buffers.
class GeneralizedCost {
 public:
  explicit GeneralizedCost(std::shared_ptr<CostFunction> costfunc);

  // Buffers for outputs of feature shape `out_shape` (rows `rows`) and batch N.
  void allocate(Backend& backend, int64_t rows, int64_t batch_size, DType dtype);
  // The mean cost of the batch into `cost` (on the device; read with cost_value()).
  void get_cost(const Tensor& y, const Tensor& t);
  // d(mean cost)/dy into `deltas`, or through `fused` (the output transform) when the cost absorbs it.
  Tensor get_errors(const Tensor& y, const Tensor& t, const Transform* fused = nullptr);
  // Whether get_errors absorbs `transform`'s derivative.
  bool fuses_with(const Transform& transform) const;
  double cost_value() const;  // waits for the device

  const CostFunction& costfunc() const { return *costfunc_; }
  const Tensor& cost() const { return cost_; }

 private:
  void CheckShapes(const Tensor& y, const Tensor& t, const char* what) const;

  std::shared_ptr<CostFunction> costfunc_;
  Tensor cost_;    // (1, 1)
  Tensor deltas_;  // (rows, N)
};

// A metric of each sample, (1, N); the model averages it over the valid samples.
class Metric {
 public:
  virtual ~Metric() = default;
  virtual Expr operator()(const Expr& y, const Expr& t) const = 0;
  virtual std::string describe() const = 0;
};

// 1 where the arg-max class differs from the target's.
class Misclassification : public Metric {
 public:
  Expr operator()(const Expr& y, const Expr& t) const override;
  std::string describe() const override { return "Misclassification"; }
};

// 1 where the arg-max class is the target's.
class Accuracy : public Metric {
 public:
  Expr operator()(const Expr& y, const Expr& t) const override;
  std::string describe() const override { return "Accuracy"; }
};

// 1 where k or more classes score strictly above the target class.
class TopKMisclassification : public Metric {
 public:
  explicit TopKMisclassification(int k);
  Expr operator()(const Expr& y, const Expr& t) const override;
  std::string describe() const override { return "Top" + std::to_string(k_) + "Misclassification"; }

 private:
  int k_;
};

}  // namespace neon
