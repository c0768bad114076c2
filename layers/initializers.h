// Initializers: fill a weight tensor from the backend's Philox stream, so the
// same seed gives bit-identical weights on every backend. Fan-in / fan-out are
// read from the weight shape: (fan_out, fan_in) for Linear's (nout, nin); for a
// higher-rank filter (K, C, R, S), fan_out = K and fan_in = C * R * S.
#pragma once

#include <string>

#include "graph/tensor.h"

namespace neon {

class Initializer {
 public:
  virtual ~Initializer() = default;
  virtual void fill(Tensor& W) const = 0;
  // A one-line description, e.g. "GlorotUniform()", for model descriptions.
  virtual std::string describe() const = 0;
};

class Constant : public Initializer {
 public:
  explicit Constant(double val = 0.0) : val_(val) {}
  void fill(Tensor& W) const override;
  std::string describe() const override;

 private:
  double val_;
};

class Uniform : public Initializer {
 public:
  Uniform(double low = 0.0, double high = 1.0) : low_(low), high_(high) {}
  void fill(Tensor& W) const override;
  std::string describe() const override;

 private:
  double low_, high_;
};

class Gaussian : public Initializer {
 public:
  Gaussian(double loc = 0.0, double scale = 1.0) : loc_(loc), scale_(scale) {}
  void fill(Tensor& W) const override;
  std::string describe() const override;

 private:
  double loc_, scale_;
};

// Uniform(-s, s) with s = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).
class GlorotUniform : public Initializer {
 public:
  void fill(Tensor& W) const override;
  std::string describe() const override { return "GlorotUniform()"; }
};

// Uniform(-s, s) with s = sqrt(3 / fan_in) (neon's Xavier, local).
class Xavier : public Initializer {
 public:
  void fill(Tensor& W) const override;
  std::string describe() const override { return "Xavier()"; }
};

// Gaussian(0, sqrt(2 / fan_in)) (He et al., 2015).
class Kaiming : public Initializer {
 public:
  void fill(Tensor& W) const override;
  std::string describe() const override { return "Kaiming()"; }
};

struct Fans {
  int64_t in = 1;
  int64_t out = 1;
};
Fans FansOf(const Shape& weight_shape);

}  // namespace neon
