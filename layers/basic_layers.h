// The layer zoo's op-tree layers: Linear, Bias, Activation, Dropout, Reshape,
// Flatten, and Affine (neon's convenience: Linear + Bias / BatchNorm + Activation).
#pragma once

#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "layers/initializers.h"
#include "layers/layer.h"
#include "layers/transforms.h"

namespace neon {

// y = W x with W of shape (nout, nin); an n-D input is seen as (prod(features), N).
class Linear : public ParameterLayer {
 public:
  Linear(int64_t nout, std::shared_ptr<Initializer> init, std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  void allocate() override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::string kind() const override { return "Linear"; }
  int64_t nout() const { return nout_; }

 private:
  int64_t nout_;
  Tensor x2d_;  // the last input, as (nin, N)
};

// y = x + b, one bias per row of the input's (C, -1) view: per feature for (F, N),
// per channel for conv activations (C, H, W, N).
class Bias : public ParameterLayer {
 public:
  explicit Bias(std::shared_ptr<Initializer> init = std::make_shared<Constant>(0.0), std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::string kind() const override { return "Bias"; }
};

// y = transform(x). bprop works in place on the error.
class Activation : public Layer {
 public:
  explicit Activation(std::shared_ptr<Transform> transform, std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::string kind() const override { return "Activation"; }
  DeviceLayoutRole device_layout_role() const override {
    // A subclass may compute with op-trees that read neon's layout (as BatchNormAutodiff does).
    bool plain = typeid(*this) == typeid(Activation);
    return plain && transform_->elementwise() ? DeviceLayoutRole::kPreserves : DeviceLayoutRole::kNone;
  }
  const Transform& transform() const { return *transform_; }
  // Set by the model when the cost's gradient already includes this transform's
  // (Softmax + CrossEntropyMulti): bprop then passes the error through.
  void set_fused_with_cost(bool fused) { fused_with_cost_ = fused; }

 private:
  std::shared_ptr<Transform> transform_;
  bool fused_with_cost_ = false;
};

// Training: keeps each input with probability keep (mask from the backend's Philox
// stream, so one seed gives one mask on every backend). Inference: y = keep * x (neon).
class Dropout : public Layer {
 public:
  explicit Dropout(double keep = 0.5, std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  void allocate() override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::string kind() const override { return "Dropout"; }
  const Tensor& keep_mask() const { return keep_mask_; }

 private:
  double keep_;
  Tensor keep_mask_;
};

// A view with a new feature shape (one dimension may be -1); no copy.
class Reshape : public Layer {
 public:
  explicit Reshape(Shape reshape, std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  void allocate() override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::string kind() const override { return "Reshape"; }

 private:
  Shape reshape_;
};

// Reshape to one feature axis: (C, H, W, N) -> (C*H*W, N).
class Flatten : public Reshape {
 public:
  explicit Flatten(std::string name = "") : Reshape({-1}, std::move(name)) {}
  std::string kind() const override { return "Flatten"; }
};

// Children run in order; the container is itself a layer.
class Sequential : public Layer {
 public:
  explicit Sequential(std::vector<std::shared_ptr<Layer>> layers, std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  void allocate() override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::vector<Param> params() override;
  std::vector<Param> states() override;
  std::string kind() const override { return "Sequential"; }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  // Whether allocate may keep activations in the backend's own layout inside chains of
  // conv, pooling, batch-norm and elementwise layers (layers/device_layout.h); on by default.
  // Off: every activation is in neon's layout (for comparing, or reading `outputs` of inner layers).
  // Off here is off in every Sequential nested inside too.
  void set_device_layout(bool allowed) { device_layout_ = allowed; }
  bool device_layout() const { return device_layout_; }

 private:
  std::vector<std::shared_ptr<Layer>> layers_;
  bool device_layout_ = true;
  bool enclosing_allows_device_layout_ = true;  // set by an enclosing Sequential's allocate
};

struct AffineOptions {
  bool bias = true;           // Bias after Linear (ignored with batch_norm, whose beta is a bias)
  bool batch_norm = false;    // BatchNorm after Linear
  std::shared_ptr<Transform> activation;  // none when null
  std::string name;
};

// neon's Affine: Linear, then Bias or BatchNorm, then Activation, as a list of layers.
std::vector<std::shared_ptr<Layer>> Affine(int64_t nout, std::shared_ptr<Initializer> init,
                                           AffineOptions options = {});

}  // namespace neon
