#include "layers/layer.h"

#include <limits>

#include "core/error.h"
#include "layers/initializers.h"

namespace neon {

int64_t FeatureSize(const Shape& feature_shape) {
  int64_t size = 1;
  for (int64_t dim : feature_shape) {
    if (dim < 0 || (dim > 0 && size > std::numeric_limits<int64_t>::max() / dim)) {
      throw ShapeError("feature shape " + ShapeString(feature_shape) + " has a negative or overflowing size");
    }
    size *= dim;
  }
  return size;
}

Layer::Layer(std::string name) : name(std::move(name)) {}

Backend& Layer::be() const {
  if (context_.backend == nullptr) {
    throw ArgumentError("layer '" + name + "' (" + kind() +
                        "): used before configure (add it to a Model, or call set_context first)");
  }
  return *context_.backend;
}

Layer& Layer::configure(const Shape& in_obj) {
  be();  // a layer is configured inside a model's context
  if (in_obj.empty()) throw ShapeError("layer '" + name + "' (" + kind() + "): configured with an empty input shape");
  FeatureSize(in_obj);
  in_shape = in_obj;
  return *this;
}

void Layer::allocate() {
  if (out_shape.empty()) {
    throw ArgumentError("layer '" + name + "' (" + kind() + "): allocate before configure (out_shape is not set)");
  }
  outputs = Iobuf(out_shape, "outputs");
  allocated_ = true;
}

void Layer::CheckReady(const char* what) const {
  if (context_.backend == nullptr || out_shape.empty() || !allocated_) {
    throw ArgumentError("layer '" + name + "' (" + kind() + "): " + what +
                        " before configure and allocate (add it to a Model)");
  }
}

Tensor Layer::Iobuf(const Shape& feature_shape, const std::string& what) const {
  Shape shape = feature_shape;
  shape.push_back(context_.batch_size);
  if (shape.size() < 2) shape.insert(shape.begin(), 1);
  return empty(be(), shape, context_.dtype, name + "." + what);
}

void Layer::CheckActivation(const Tensor& tensor, const Shape& feature_shape, const char* what) const {
  int64_t rows = FeatureSize(feature_shape);
  if (!tensor.defined() || tensor.rows2d() != rows || tensor.cols2d() != context_.batch_size) {
    throw ShapeError("layer '" + name + "' (" + kind() + "): " + what + " of shape " +
                     (tensor.defined() ? ShapeString(tensor.shape()) : std::string("(null)")) + " does not fit " +
                     ShapeString(feature_shape) + " features x batch " + std::to_string(context_.batch_size));
  }
}

ParameterLayer::ParameterLayer(std::shared_ptr<Initializer> init, std::string name)
    : Layer(std::move(name)), init(std::move(init)) {}

void ParameterLayer::allocate() {
  Layer::allocate();
  if (weight_shape.empty()) {
    throw ArgumentError("layer '" + name + "' (" + kind() + "): configure did not set weight_shape");
  }
  W = empty(be(), weight_shape, dtype(), name + ".W");
  if (!init) throw ArgumentError("layer '" + name + "' (" + kind() + "): no initializer for W");
  init->fill(W);
  dW = zeros(be(), weight_shape, dtype(), name + ".dW");
}

std::vector<Param> ParameterLayer::params() { return {{name + ".W", W, dW}}; }

}  // namespace neon
