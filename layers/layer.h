// Layer and ParameterLayer: neon's layer lifecycle, written once against
// op-trees and run on whichever backend the model was configured with.
//
//   configure(in_shape)  propagates feature shapes before anything is allocated
//   allocate()           makes `outputs` (and `deltas`, W, dW, buffers)
//   fprop(inputs, inference), bprop(error)
//
// A layer's shape is its feature shape; every activation tensor has the batch
// as its last axis (neon's layout): (features, N), conv activations (C, H, W, N).
//
// The neon-visible attributes (in_shape, out_shape, outputs, deltas) are public
// fields named as in neon, so a layer written from the seed reads like it (and a
// Python binding can expose them as they are). A layer reaches its device only
// through be(), the backend of the model it was configured in.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/expr.h"
#include "graph/tensor.h"

namespace neon {

class Initializer;

// How a layer can take part in a chain of activations kept in the backend's own layout
// (ActivationLayout::kDevice, layers/device_layout.h).
enum class DeviceLayoutRole : uint8_t {
  kNone,      // reads and writes neon's layout only (op-trees that are not elementwise, views)
  kConverts,  // runs backend ops that read and write either layout: Conv, Pooling
  kPreserves, // works on either layout, the same at input and output: BatchNorm, elementwise Activation
};

// What a model hands each layer before configure: its device, batch size and dtype.
struct LayerContext {
  Backend* backend = nullptr;
  int64_t batch_size = 0;
  DType dtype = DType::kFloat32;
};

// A trainable tensor and its gradient, as optimizers and model files see them.
struct Param {
  std::string name;  // "<layer>.<param>", unique in a model
  Tensor W;
  Tensor dW;
};

class Layer {
 public:
  explicit Layer(std::string name = "");
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // Sets in_shape from the previous layer's out_shape (or the data's feature shape); a
  // subclass sets out_shape. Returns the layer, as neon's configure does.
  virtual Layer& configure(const Shape& in_obj);
  Layer& configure(const Layer& previous) { return configure(previous.out_shape); }
  // Makes `outputs` of shape out_shape + (N,). Subclasses add their buffers.
  virtual void allocate();
  // Forward: returns the output tensor (usually `outputs`).
  virtual Tensor fprop(Tensor inputs, bool inference = false) = 0;
  // Backward: takes the error at the output, returns the error at the input (into
  // `deltas` or, for elementwise layers, in place), accumulates parameter gradients.
  virtual Tensor bprop(Tensor error) = 0;

  // Trainable parameters with their gradients, in a fixed order (optional).
  virtual std::vector<Param> params() { return {}; }
  // Non-trainable state a model file keeps (running statistics) (optional).
  virtual std::vector<Param> states() { return {}; }
  // The layer's kind, e.g. "Linear" (for messages and model descriptions).
  virtual std::string kind() const { return "Layer"; }
  // Whether the layer can be in a device-layout chain (optional; default kNone).
  virtual DeviceLayoutRole device_layout_role() const { return DeviceLayoutRole::kNone; }

  // The model's context: set before configure. be() throws before that.
  void set_context(const LayerContext& context) { context_ = context; }
  const LayerContext& context() const { return context_; }
  Backend& be() const;
  int64_t batch_size() const { return context_.batch_size; }
  DType dtype() const { return context_.dtype; }
  // Whether bprop must produce the error at the input (false for a model's first layer).
  void set_compute_deltas(bool compute) { compute_deltas_ = compute; }
  bool compute_deltas() const { return compute_deltas_; }
  // Throws ArgumentError naming the layer and `what` unless configure and allocate ran.
  void CheckReady(const char* what) const;

  std::string name;
  Shape in_shape;     // feature shape of the input
  Shape out_shape;    // feature shape of the output
  Tensor outputs;     // out_shape + (N,)
  Tensor deltas;      // in_shape + (N,), when the layer writes the input error here
  // The layouts of the input (and deltas) and of the output (and the error bprop takes):
  // neon's, unless the container chose the backend's own between two layers of a chain.
  ActivationLayout in_layout = ActivationLayout::kNeon;
  ActivationLayout out_layout = ActivationLayout::kNeon;

 protected:
  // An activation-shaped tensor: feature shape + (batch,), at least 2-D.
  Tensor Iobuf(const Shape& feature_shape, const std::string& what) const;
  // Throws ShapeError unless `tensor` is an activation of `feature_shape` with this batch.
  void CheckActivation(const Tensor& tensor, const Shape& feature_shape, const char* what) const;
  // For layers whose outputs are views of their inputs: allocated without a buffer.
  void MarkAllocated() { allocated_ = true; }

 private:
  LayerContext context_;
  bool compute_deltas_ = true;
  bool allocated_ = false;
};

// A layer with weights: owns W, dW and the initializer that fills W in allocate().
// Subclasses set weight_shape in configure and implement fprop / bprop.
class ParameterLayer : public Layer {
 public:
  ParameterLayer(std::shared_ptr<Initializer> init, std::string name = "");

  void allocate() override;
  std::vector<Param> params() override;

  Tensor W;
  Tensor dW;
  Shape weight_shape;
  std::shared_ptr<Initializer> init;
};

// The product of a feature shape (the rows of its 2-D view).
int64_t FeatureSize(const Shape& feature_shape);

}  // namespace neon
