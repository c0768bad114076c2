#include "layers/basic_layers.h"

#include "core/error.h"
#include "layers/batch_norm.h"
#include "layers/device_layout.h"

namespace neon {

namespace {

// A contiguous activation seen as (rows, cols) with rows = prod(feature shape).
Tensor As2D(const Tensor& tensor) {
  if (tensor.ndim() == 2) return tensor;
  return tensor.reshape({tensor.rows2d(), tensor.cols2d()});
}

}  // namespace

// ---- Linear ----

Linear::Linear(int64_t nout, std::shared_ptr<Initializer> init, std::string name)
    : ParameterLayer(std::move(init), std::move(name)), nout_(nout) {
  if (nout < 1) throw ArgumentError("Linear '" + this->name + "': nout must be at least 1, got " + std::to_string(nout));
}

Layer& Linear::configure(const Shape& in_obj) {
  ParameterLayer::configure(in_obj);
  out_shape = {nout_};
  weight_shape = {nout_, FeatureSize(in_shape)};
  return *this;
}

void Linear::allocate() {
  ParameterLayer::allocate();
  if (compute_deltas()) deltas = Iobuf(in_shape, "deltas");
}

Tensor Linear::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  CheckActivation(inputs, in_shape, "input");
  x2d_ = As2D(inputs);
  outputs.assign(dot(W, x2d_));
  return outputs;
}

Tensor Linear::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  dW.assign(dot(error, x2d_.T()));
  if (!compute_deltas()) return Tensor();
  deltas.assign(dot(W.T(), error));
  return deltas;
}

// ---- Bias ----

Bias::Bias(std::shared_ptr<Initializer> init, std::string name) : ParameterLayer(std::move(init), std::move(name)) {}

Layer& Bias::configure(const Shape& in_obj) {
  ParameterLayer::configure(in_obj);
  out_shape = in_shape;
  weight_shape = {in_shape[0], 1};
  return *this;
}

Tensor Bias::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  CheckActivation(inputs, in_shape, "input");
  outputs.reshape({in_shape[0], -1}).assign(inputs.reshape({in_shape[0], -1}) + W);
  return outputs;
}

Tensor Bias::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  dW.assign(sum(error.reshape({in_shape[0], -1}), 1));
  return error;
}

// ---- Activation ----

Activation::Activation(std::shared_ptr<Transform> transform, std::string name)
    : Layer(std::move(name)), transform_(std::move(transform)) {
  if (!transform_) throw ArgumentError("Activation '" + this->name + "': no transform given");
}

Layer& Activation::configure(const Shape& in_obj) {
  Layer::configure(in_obj);
  out_shape = in_shape;
  return *this;
}

Tensor Activation::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  CheckActivation(inputs, in_shape, "input");
  outputs.assign((*transform_)(inputs));
  return outputs;
}

Tensor Activation::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  if (fused_with_cost_) return error;
  error.assign(transform_->bprop(outputs, error));
  return error;
}

// ---- Dropout ----

Dropout::Dropout(double keep, std::string name) : Layer(std::move(name)), keep_(keep) {
  if (!(keep > 0.0 && keep <= 1.0)) {
    throw ArgumentError("Dropout '" + this->name + "': keep must be in (0, 1], got " + std::to_string(keep));
  }
}

Layer& Dropout::configure(const Shape& in_obj) {
  Layer::configure(in_obj);
  out_shape = in_shape;
  return *this;
}

void Dropout::allocate() {
  Layer::allocate();
  keep_mask_ = Iobuf(in_shape, "keep_mask");
}

Tensor Dropout::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  CheckActivation(inputs, in_shape, "input");
  if (inference) {
    outputs.assign(inputs * keep_);
  } else {
    keep_mask_.assign(rand() < keep_);
    outputs.assign(inputs * keep_mask_);
  }
  return outputs;
}

Tensor Dropout::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  error.assign(error * keep_mask_);
  return error;
}

// ---- Reshape / Flatten ----

Reshape::Reshape(Shape reshape, std::string name) : Layer(std::move(name)), reshape_(std::move(reshape)) {}

Layer& Reshape::configure(const Shape& in_obj) {
  Layer::configure(in_obj);
  int64_t size = FeatureSize(in_shape);
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < reshape_.size(); ++i) {
    if (reshape_[i] == -1 && infer < 0) {
      infer = static_cast<int>(i);
    } else if (reshape_[i] < 1) {
      throw ShapeError(kind() + " '" + name + "': bad target shape " + ShapeString(reshape_));
    } else {
      known *= reshape_[i];
    }
  }
  out_shape = reshape_;
  bool fits = !reshape_.empty() && known > 0 && (infer >= 0 ? size % known == 0 : known == size);
  if (fits && infer >= 0) out_shape[infer] = size / known;
  if (!fits) {
    throw ShapeError(kind() + " '" + name + "': input features " + ShapeString(in_shape) + " (" +
                     std::to_string(size) + ") do not fit " + ShapeString(reshape_));
  }
  return *this;
}

void Reshape::allocate() { MarkAllocated(); }

namespace {

Shape WithBatch(Shape shape, int64_t batch) {
  shape.push_back(batch);
  return shape;
}

}  // namespace

Tensor Reshape::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  CheckActivation(inputs, in_shape, "input");
  outputs = inputs.reshape(WithBatch(out_shape, batch_size()));
  return outputs;
}

Tensor Reshape::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  return error.reshape(WithBatch(in_shape, batch_size()));
}

// ---- Sequential ----

Sequential::Sequential(std::vector<std::shared_ptr<Layer>> layers, std::string name)
    : Layer(std::move(name)), layers_(std::move(layers)) {
  for (const auto& layer : layers_) {
    if (!layer) throw ArgumentError("Sequential '" + this->name + "': a null layer in the list");
  }
}

Layer& Sequential::configure(const Shape& in_obj) {
  Layer::configure(in_obj);
  Shape shape = in_shape;
  for (const auto& layer : layers_) {
    layer->set_context(context());
    layer->configure(shape);
    if (layer->out_shape.empty()) {
      throw ArgumentError("layer '" + layer->name + "' (" + layer->kind() + "): configure did not set out_shape");
    }
    shape = layer->out_shape;
  }
  out_shape = shape;
  return *this;
}

void Sequential::allocate() {
  const bool allowed = device_layout_ && enclosing_allows_device_layout_;
  ChooseDeviceLayouts(layers_, allowed);
  for (const auto& layer : layers_) {
    if (auto* nested = dynamic_cast<Sequential*>(layer.get())) nested->enclosing_allows_device_layout_ = allowed;
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->set_compute_deltas(i > 0 || compute_deltas());
    layers_[i]->allocate();
  }
  MarkAllocated();
}

Tensor Sequential::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  for (const auto& layer : layers_) inputs = layer->fprop(inputs, inference);
  outputs = inputs;
  return outputs;
}

Tensor Sequential::bprop(Tensor error) {
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) error = (*it)->bprop(error);
  return error;
}

std::vector<Param> Sequential::params() {
  std::vector<Param> all;
  for (const auto& layer : layers_) {
    for (Param& param : layer->params()) all.push_back(std::move(param));
  }
  return all;
}

std::vector<Param> Sequential::states() {
  std::vector<Param> all;
  for (const auto& layer : layers_) {
    for (Param& state : layer->states()) all.push_back(std::move(state));
  }
  return all;
}

// ---- Affine ----

std::vector<std::shared_ptr<Layer>> Affine(int64_t nout, std::shared_ptr<Initializer> init, AffineOptions options) {
  std::string base = options.name.empty() ? "" : options.name + ".";
  std::vector<std::shared_ptr<Layer>> layers;
  layers.push_back(std::make_shared<Linear>(nout, std::move(init), options.name));
  if (options.batch_norm) {
    layers.push_back(std::make_shared<BatchNorm>(0.9, 1e-3, base.empty() ? "" : base + "bn"));
  } else if (options.bias) {
    layers.push_back(std::make_shared<Bias>(std::make_shared<Constant>(0.0), base.empty() ? "" : base + "bias"));
  }
  if (options.activation) {
    layers.push_back(std::make_shared<Activation>(options.activation, base.empty() ? "" : base + "act"));
  }
  return layers;
}

}  // namespace neon
