// Optimizers (neon.optimizers). Each update is a few op-tree assignments per
// parameter, so on every backend it runs as fused kernels, not a loop of ops.
// Gradients are those of the mean cost (GeneralizedCost divides by the batch).
//
// Every optimizer clips gradients when asked: by global norm (all parameters
// scaled by clip / max(norm, clip), computed on the device) and by value.
// Optimizer state (velocities, moments) is made with zeros on the first update
// and is visible through states() for model files.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace neon {

// Learning rate by epoch. The base class keeps it constant.
class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double get_learning_rate(double learning_rate, int epoch) const { return learning_rate; }
};

// lr * change^k, k = how many steps have passed: every `step_every` epochs, or at each
// epoch listed in step_config (neon's Schedule).
class StepChangeSchedule : public Schedule {
 public:
  StepChangeSchedule(int step_every, double change);
  StepChangeSchedule(std::vector<int> step_config, double change);
  double get_learning_rate(double learning_rate, int epoch) const override;

 private:
  int step_every_ = 0;
  std::vector<int> step_config_;
  double change_;
};

// lr / (1 + decay * epoch) (neon's ExpSchedule).
class ExpSchedule : public Schedule {
 public:
  explicit ExpSchedule(double decay) : decay_(decay) {}
  double get_learning_rate(double learning_rate, int epoch) const override;

 private:
  double decay_;
};

// The learning rate becomes values[i] from epoch step_config[i] on (neon's StepSchedule).
class StepSchedule : public Schedule {
 public:
  StepSchedule(std::vector<int> step_config, std::vector<double> values);
  double get_learning_rate(double learning_rate, int epoch) const override;

 private:
  std::vector<int> step_config_;
  std::vector<double> values_;
};

struct ClipOptions {
  std::optional<double> gradient_clip_norm;   // global L2 norm over all parameters
  std::optional<double> gradient_clip_value;  // each element into [-v, v]
};

class Optimizer {
 public:
  explicit Optimizer(ClipOptions clip = {});
  virtual ~Optimizer() = default;

  // One update of every parameter from its gradient; `epoch` selects the learning rate.
  void optimize(const std::vector<Param>& params, int epoch);
  // Makes every parameter's state now (zeros), so a model file can restore it before an update.
  void InitStates(const std::vector<Param>& params);
  // Every state tensor, named "<param>.<state>", in parameter order (for model files).
  std::vector<Param> states() const;
  // Updates done so far (Adam's t).
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t steps) { step_count_ = steps; }
  virtual std::string describe() const = 0;

 protected:
  // Update one parameter; `grad` is its (clipped) gradient as an op-tree.
  virtual void Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) = 0;
  // How many state tensors each parameter has, and their names.
  virtual std::vector<std::string> StateNames() const = 0;

 private:
  std::vector<Tensor>& StateOf(const Param& param);

  ClipOptions clip_;
  int64_t step_count_ = 0;
  std::vector<std::string> order_;                      // parameter names, first-seen order
  std::map<std::string, std::vector<Tensor>> states_;   // by parameter name
  Tensor norm2_;                                        // (1, 1) squared global norm
};

struct GDMOptions {
  double momentum_coef = 0.0;
  double wdecay = 0.0;          // L2 weight decay added to the gradient
  bool nesterov = false;
  std::shared_ptr<Schedule> schedule;  // constant when null
  ClipOptions clip;
};

// v = momentum v - lr (g + wdecay W); W += v  (Nesterov: W += momentum v - lr (g + wdecay W)).
class GradientDescentMomentum : public Optimizer {
 public:
  GradientDescentMomentum(double learning_rate, GDMOptions options = {});
  std::string describe() const override;

 protected:
  void Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) override;
  std::vector<std::string> StateNames() const override;

 private:
  double learning_rate_;
  GDMOptions options_;
};

// Kingma & Ba: m, v moments; W -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps).
class Adam : public Optimizer {
 public:
  Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-8,
       ClipOptions clip = {});
  std::string describe() const override;

 protected:
  void Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) override;
  std::vector<std::string> StateNames() const override { return {"m", "v"}; }

 private:
  double learning_rate_, beta_1_, beta_2_, epsilon_;
};

// s = decay s + (1 - decay) g^2; W -= lr g / (sqrt(s + eps) + eps).
class RMSProp : public Optimizer {
 public:
  RMSProp(double learning_rate = 0.002, double decay_rate = 0.95, double epsilon = 1e-6, ClipOptions clip = {});
  std::string describe() const override;

 protected:
  void Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) override;
  std::vector<std::string> StateNames() const override { return {"s"}; }

 private:
  double learning_rate_, decay_rate_, epsilon_;
};

// s += g^2; W -= lr g / (sqrt(s) + eps).
class Adagrad : public Optimizer {
 public:
  Adagrad(double learning_rate = 0.01, double epsilon = 1e-6, ClipOptions clip = {});
  std::string describe() const override;

 protected:
  void Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) override;
  std::vector<std::string> StateNames() const override { return {"s"}; }

 private:
  double learning_rate_, epsilon_;
};

// Zeiler 2012: s = decay s + (1 - decay) g^2; u = -sqrt((x + eps) / (s + eps)) g;
// x = decay x + (1 - decay) u^2; W += u.
class Adadelta : public Optimizer {
 public:
  Adadelta(double decay = 0.95, double epsilon = 1e-6, ClipOptions clip = {});
  std::string describe() const override;

 protected:
  void Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) override;
  std::vector<std::string> StateNames() const override { return {"s", "x", "u"}; }

 private:
  double decay_, epsilon_;
};

}  // namespace neon
