// The seed's simple layer (neon: "A simple layer"), line for line:
//
//   class MultiplyByTwo(Layer):
//       def configure(self, in_obj):
//           super(MultiplyByTwo, self).configure(in_obj)
//           self.out_shape = self.in_shape
//           return self
//       def fprop(self, inputs, inference=False):
//           self.outputs = inputs
//           self.outputs[:] = inputs*2
//           return self.outputs
//       def bprop(self, error):
//           error[:] = 2*error
//           return error
#pragma once

#include <string>

#include "layers/layer.h"

class MultiplyByTwo : public neon::Layer {
 public:
  // constructor and initialize buffers
  explicit MultiplyByTwo(std::string name = "") : Layer(std::move(name)) {}

  // configure the layer input and output shapes
  Layer& configure(const neon::Shape& in_obj) override {
    Layer::configure(in_obj);
    out_shape = in_shape;
    return *this;
  }

  // compute the fprop
  neon::Tensor fprop(neon::Tensor inputs, bool inference = false) override {
    outputs = inputs;
    outputs.assign(inputs * 2);
    return outputs;
  }

  // backprop the gradients
  neon::Tensor bprop(neon::Tensor error) override {
    error.assign(2 * error);
    return error;
  }

  std::string kind() const override { return "MultiplyByTwo"; }
};
