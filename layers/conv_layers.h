// Convolution and pooling layers on (C, H, W, N) activations. They compute
// through the backend's conv / pool ops (backends/backend.h), which every
// backend has: natively (reference, cpu) or through the default host path.
// Bad geometry is a ShapeError naming the layer and the numbers.
#pragma once

#include <memory>
#include <string>
#include <typeinfo>

#include "layers/initializers.h"
#include "layers/layer.h"

namespace neon {

// Per-axis stride, padding and dilation (height, width).
struct ConvOptions {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  // The same stride, padding and dilation on both axes.
  static ConvOptions Square(int64_t stride, int64_t padding = 0, int64_t dilation = 1) {
    return {stride, stride, padding, padding, dilation, dilation};
  }
};

// K filters of R x S over C input channels: W is (K, C, R, S); output (K, P, Q).
class Conv : public ParameterLayer {
 public:
  // fshape = (R, S, K) as neon's: filter height, width and count.
  Conv(int64_t r, int64_t s, int64_t k, std::shared_ptr<Initializer> init, ConvOptions options = {},
       std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  void allocate() override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::string kind() const override { return "Conv"; }
  // Only as itself: a subclass may override fprop / bprop with code that reads neon's layout.
  DeviceLayoutRole device_layout_role() const override {
    return typeid(*this) == typeid(Conv) ? DeviceLayoutRole::kConverts : DeviceLayoutRole::kNone;
  }
  const ConvGeometry& geometry() const { return geometry_; }

 private:
  ConvArgs Args(const Tensor& src, const Tensor& filter, const Tensor& dst) const;

  ConvOptions options_;
  ConvGeometry geometry_;
  Tensor inputs_;
};

// Max or average pooling over R x S windows, per channel: output (C, P, Q).
class Pooling : public Layer {
 public:
  // op: "max" or "avg".
  Pooling(int64_t r, int64_t s, const std::string& op = "max", ConvOptions options = ConvOptions::Square(0),
          std::string name = "");
  Layer& configure(const Shape& in_obj) override;
  void allocate() override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::string kind() const override { return "Pooling"; }
  // Only as itself: a subclass may override fprop / bprop with code that reads neon's layout.
  DeviceLayoutRole device_layout_role() const override {
    return typeid(*this) == typeid(Pooling) ? DeviceLayoutRole::kConverts : DeviceLayoutRole::kNone;
  }

 private:
  PoolArgs Args(const Tensor& src, const Tensor& dst) const;

  PoolOp op_;
  ConvOptions options_;
  PoolGeometry geometry_;
  Tensor argmax_;
};

}  // namespace neon
