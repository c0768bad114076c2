// Activation transforms (neon.transforms): y = f(x) as an op-tree, and the
// error at the input given the output y and the error at the output. Every
// derivative is written in terms of y, so an activation needs no copy of x.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/expr.h"

namespace neon {

class Transform {
 public:
  virtual ~Transform() = default;
  // y = f(x), feature axis 0, batch axis 1.
  virtual Expr operator()(const Expr& x) const = 0;
  // The error at the input, from the output y and the error at the output.
  virtual Expr bprop(const Expr& y, const Expr& error) const = 0;
  // The name MakeTransform takes, with arguments, e.g. "Rectlin(slope=0.1)".
  virtual std::string describe() const = 0;
  // Whether each output element reads only its own input element (optional): only such a
  // transform runs on activations in a backend's own layout (layers/device_layout.h).
  virtual bool elementwise() const { return false; }
};

// max(x, 0) + slope * min(x, 0) (leaky when slope > 0).
class Rectlin : public Transform {
 public:
  explicit Rectlin(double slope = 0.0) : slope_(slope) {}
  Expr operator()(const Expr& x) const override;
  Expr bprop(const Expr& y, const Expr& error) const override;
  std::string describe() const override;
  bool elementwise() const override { return true; }
  double slope() const { return slope_; }

 private:
  double slope_;
};

class Logistic : public Transform {
 public:
  Expr operator()(const Expr& x) const override;
  Expr bprop(const Expr& y, const Expr& error) const override;
  std::string describe() const override { return "Logistic"; }
  bool elementwise() const override { return true; }
};

class Tanh : public Transform {
 public:
  Expr operator()(const Expr& x) const override;
  Expr bprop(const Expr& y, const Expr& error) const override;
  std::string describe() const override { return "Tanh"; }
  bool elementwise() const override { return true; }
};

// exp(x - max) / sum(exp(x - max)) over the features of each sample.
class Softmax : public Transform {
 public:
  Expr operator()(const Expr& x) const override;
  Expr bprop(const Expr& y, const Expr& error) const override;
  std::string describe() const override { return "Softmax"; }
};

class Identity : public Transform {
 public:
  Expr operator()(const Expr& x) const override { return x; }
  Expr bprop(const Expr& y, const Expr& error) const override { return error; }
  std::string describe() const override { return "Identity"; }
  bool elementwise() const override { return true; }
};

// x where x > 0, else alpha * (exp(x) - 1) (ELU, Clevert et al. 2015).
class Explin : public Transform {
 public:
  explicit Explin(double alpha = 1.0) : alpha_(alpha) {}
  Expr operator()(const Expr& x) const override;
  Expr bprop(const Expr& y, const Expr& error) const override;
  std::string describe() const override;
  bool elementwise() const override { return true; }

 private:
  double alpha_;
};

// x / divisor (neon's input scaling, e.g. pixels / 255).
class Normalizer : public Transform {
 public:
  explicit Normalizer(double divisor = 128.0);
  Expr operator()(const Expr& x) const override { return x / divisor_; }
  Expr bprop(const Expr& y, const Expr& error) const override { return error / divisor_; }
  std::string describe() const override;
  bool elementwise() const override { return true; }

 private:
  double divisor_;
};

// A transform by name ("rectlin", "logistic", "tanh", "softmax", "identity",
// "explin", "normalizer"; case-insensitive) with default arguments. An unknown
// name throws ArgumentError listing the known ones.
std::shared_ptr<Transform> MakeTransform(std::string_view name);
std::vector<std::string> TransformNames();

}  // namespace neon
