#include "layers/optimizers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "layers/format.h"

namespace neon {

// ---- schedules ----

StepChangeSchedule::StepChangeSchedule(int step_every, double change) : step_every_(step_every), change_(change) {
  if (step_every < 1) throw ArgumentError("Schedule: step_every must be at least 1, got " + std::to_string(step_every));
}

StepChangeSchedule::StepChangeSchedule(std::vector<int> step_config, double change)
    : step_config_(std::move(step_config)), change_(change) {}

double StepChangeSchedule::get_learning_rate(double learning_rate, int epoch) const {
  int steps = step_every_ > 0 ? epoch / step_every_
                              : static_cast<int>(std::count_if(step_config_.begin(), step_config_.end(),
                                                               [epoch](int step) { return step <= epoch; }));
  return learning_rate * std::pow(change_, steps);
}

double ExpSchedule::get_learning_rate(double learning_rate, int epoch) const {
  return learning_rate / (1.0 + decay_ * epoch);
}

StepSchedule::StepSchedule(std::vector<int> step_config, std::vector<double> values)
    : step_config_(std::move(step_config)), values_(std::move(values)) {
  if (step_config_.size() != values_.size()) {
    throw ArgumentError("StepSchedule: " + std::to_string(step_config_.size()) + " epochs but " +
                        std::to_string(values_.size()) + " learning rates");
  }
}

double StepSchedule::get_learning_rate(double learning_rate, int epoch) const {
  for (size_t i = 0; i < step_config_.size(); ++i) {
    if (epoch >= step_config_[i]) learning_rate = values_[i];
  }
  return learning_rate;
}

// ---- the optimizer loop ----

Optimizer::Optimizer(ClipOptions clip) : clip_(clip) {
  if (clip_.gradient_clip_norm && !(*clip_.gradient_clip_norm > 0.0)) {
    throw ArgumentError("optimizer: gradient_clip_norm must be positive");
  }
  if (clip_.gradient_clip_value && !(*clip_.gradient_clip_value > 0.0)) {
    throw ArgumentError("optimizer: gradient_clip_value must be positive");
  }
}

std::vector<Tensor>& Optimizer::StateOf(const Param& param) {
  auto found = states_.find(param.name);
  if (found != states_.end()) {
    if (!found->second.empty() && found->second[0].shape() != param.W.shape()) {
      throw ShapeError("optimizer " + describe() + ": parameter '" + param.name + "' has shape " +
                       ShapeString(param.W.shape()) + " but its state has " + ShapeString(found->second[0].shape()));
    }
    return found->second;
  }
  std::vector<Tensor> state;
  for (const std::string& state_name : StateNames()) {
    state.push_back(zeros(param.W.backend(), param.W.shape(), param.W.dtype(), param.name + "." + state_name));
  }
  order_.push_back(param.name);
  return states_[param.name] = std::move(state);
}

void Optimizer::optimize(const std::vector<Param>& params, int epoch) {
  ++step_count_;
  std::optional<Expr> scale;
  if (clip_.gradient_clip_norm && !params.empty()) {
    if (!norm2_.defined()) norm2_ = empty(params[0].W.backend(), {1, 1}, params[0].W.dtype(), "optimizer.norm2");
    for (size_t i = 0; i < params.size(); ++i) {
      Expr squares = sum(sqr(params[i].dW));
      norm2_.assign(i == 0 ? squares : norm2_ + squares);
    }
    double clip = *clip_.gradient_clip_norm;
    scale = clip / maximum(sqrt(norm2_), clip);
  }
  for (const Param& param : params) {
    Expr grad = param.dW;
    if (scale) grad = grad * *scale;
    if (clip_.gradient_clip_value) grad = clip(grad, -*clip_.gradient_clip_value, *clip_.gradient_clip_value);
    Update(param, grad, StateOf(param), epoch);
  }
}

void Optimizer::InitStates(const std::vector<Param>& params) {
  for (const Param& param : params) StateOf(param);
}

std::vector<Param> Optimizer::states() const {
  std::vector<Param> all;
  for (const std::string& name : order_) {
    for (const Tensor& state : states_.at(name)) all.push_back({state.name(), state, Tensor()});
  }
  return all;
}

// ---- the optimizers ----

GradientDescentMomentum::GradientDescentMomentum(double learning_rate, GDMOptions options)
    : Optimizer(options.clip), learning_rate_(learning_rate), options_(std::move(options)) {
  if (!options_.schedule) options_.schedule = std::make_shared<Schedule>();
}

std::vector<std::string> GradientDescentMomentum::StateNames() const {
  if (options_.momentum_coef == 0.0) return {};
  return {"velocity"};
}

void GradientDescentMomentum::Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) {
  double lr = options_.schedule->get_learning_rate(learning_rate_, epoch);
  Tensor W = param.W;
  Expr step = options_.wdecay == 0.0 ? lr * grad : lr * (grad + options_.wdecay * W);
  if (state.empty()) {
    W.assign(W - step);
    return;
  }
  Tensor& velocity = state[0];
  double momentum = options_.momentum_coef;
  velocity.assign(momentum * velocity - step);
  W.assign(options_.nesterov ? W + momentum * velocity - step : W + velocity);
}

std::string GradientDescentMomentum::describe() const {
  return "GradientDescentMomentum(learning_rate=" + FormatNumber(learning_rate_) +
         ", momentum_coef=" + FormatNumber(options_.momentum_coef) + ", wdecay=" + FormatNumber(options_.wdecay) +
         (options_.nesterov ? ", nesterov" : "") + ")";
}

Adam::Adam(double learning_rate, double beta_1, double beta_2, double epsilon, ClipOptions clip)
    : Optimizer(clip), learning_rate_(learning_rate), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {}

void Adam::Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) {
  double t = static_cast<double>(step_count());
  double lr = learning_rate_ * std::sqrt(1.0 - std::pow(beta_2_, t)) / (1.0 - std::pow(beta_1_, t));
  Tensor W = param.W;
  state[0].assign(beta_1_ * state[0] + (1.0 - beta_1_) * grad);
  state[1].assign(beta_2_ * state[1] + (1.0 - beta_2_) * sqr(grad));
  W.assign(W - lr * state[0] / (sqrt(state[1]) + epsilon_));
}

std::string Adam::describe() const {
  return "Adam(learning_rate=" + FormatNumber(learning_rate_) + ", beta_1=" + FormatNumber(beta_1_) +
         ", beta_2=" + FormatNumber(beta_2_) + ", epsilon=" + FormatNumber(epsilon_) + ")";
}

RMSProp::RMSProp(double learning_rate, double decay_rate, double epsilon, ClipOptions clip)
    : Optimizer(clip), learning_rate_(learning_rate), decay_rate_(decay_rate), epsilon_(epsilon) {}

void RMSProp::Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) {
  Tensor W = param.W;
  state[0].assign(decay_rate_ * state[0] + (1.0 - decay_rate_) * sqr(grad));
  W.assign(W - learning_rate_ * grad / (sqrt(state[0] + epsilon_) + epsilon_));
}

std::string RMSProp::describe() const {
  return "RMSProp(learning_rate=" + FormatNumber(learning_rate_) + ", decay_rate=" + FormatNumber(decay_rate_) + ")";
}

Adagrad::Adagrad(double learning_rate, double epsilon, ClipOptions clip)
    : Optimizer(clip), learning_rate_(learning_rate), epsilon_(epsilon) {}

void Adagrad::Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) {
  Tensor W = param.W;
  state[0].assign(state[0] + sqr(grad));
  W.assign(W - learning_rate_ * grad / (sqrt(state[0]) + epsilon_));
}

std::string Adagrad::describe() const { return "Adagrad(learning_rate=" + FormatNumber(learning_rate_) + ")"; }

Adadelta::Adadelta(double decay, double epsilon, ClipOptions clip) : Optimizer(clip), decay_(decay), epsilon_(epsilon) {}

void Adadelta::Update(const Param& param, const Expr& grad, std::vector<Tensor>& state, int epoch) {
  Tensor W = param.W;
  Tensor& s = state[0];
  Tensor& x = state[1];
  Tensor& u = state[2];
  s.assign(decay_ * s + (1.0 - decay_) * sqr(grad));
  u.assign(-sqrt((x + epsilon_) / (s + epsilon_)) * grad);
  x.assign(decay_ * x + (1.0 - decay_) * sqr(u));
  W.assign(W + u);
}

std::string Adadelta::describe() const { return "Adadelta(decay=" + FormatNumber(decay_) + ")"; }

}  // namespace neon
