#include "layers/conv_layers.h"

#include "core/error.h"

namespace neon {

namespace {

BufferRef Ref(const Tensor& tensor, const std::string& layer, const char* what) {
  if (!tensor.is_contiguous()) {
    throw ShapeError("layer '" + layer + "': " + what + " of shape " + ShapeString(tensor.shape()) +
                     " must be contiguous");
  }
  return {tensor.buffer().get(), tensor.offset()};
}

std::string Pair(int64_t a, int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

// Checks a window (`noun`: filter or window) of g.r x g.s over a (C, H, W) input and fills
// the input, stride, padding and output fields Conv and Pooling share; `what` names the layer.
template <typename Geometry>
void ConfigureWindow(const std::string& what, const char* noun, const Shape& in_shape, const ConvOptions& o,
                     Geometry& g) {
  if (in_shape.size() != 3) throw ShapeError(what + "input features " + ShapeString(in_shape) + " are not (C, H, W)");
  if (g.r < 1 || g.s < 1 || o.stride_h < 1 || o.stride_w < 1 || o.dilation_h < 1 || o.dilation_w < 1 || o.pad_h < 0 ||
      o.pad_w < 0) {
    throw ShapeError(what + noun + " " + Pair(g.r, g.s) + ", stride " + Pair(o.stride_h, o.stride_w) + ", dilation " +
                     Pair(o.dilation_h, o.dilation_w) + " must be >= 1 and padding >= 0");
  }
  if (o.pad_h >= g.r || o.pad_w >= g.s) {
    throw ShapeError(what + "padding " + Pair(o.pad_h, o.pad_w) + " must be smaller than the " + noun + " " +
                     Pair(g.r, g.s));
  }
  g.c = in_shape[0];
  g.h = in_shape[1];
  g.w = in_shape[2];
  g.stride_h = o.stride_h;
  g.stride_w = o.stride_w;
  g.pad_h = o.pad_h;
  g.pad_w = o.pad_w;
  g.p = ConvOutputSize(g.h, g.r, g.pad_h, g.stride_h, o.dilation_h);
  g.q = ConvOutputSize(g.w, g.s, g.pad_w, g.stride_w, o.dilation_w);
  if (g.p < 1 || g.q < 1) {
    throw ShapeError(what + "input " + Pair(g.h, g.w) + " with " + noun + " " + Pair(g.r, g.s) + ", padding " +
                     Pair(g.pad_h, g.pad_w) + ", dilation " + Pair(o.dilation_h, o.dilation_w) + " gives output " +
                     Pair(g.p, g.q) + " (must be at least 1)");
  }
}

}  // namespace

// ---- Conv ----

Conv::Conv(int64_t r, int64_t s, int64_t k, std::shared_ptr<Initializer> init, ConvOptions options, std::string name)
    : ParameterLayer(std::move(init), std::move(name)), options_(options) {
  geometry_.r = r;
  geometry_.s = s;
  geometry_.k = k;
}

Layer& Conv::configure(const Shape& in_obj) {
  ParameterLayer::configure(in_obj);
  ConvGeometry& g = geometry_;
  std::string what = "layer '" + name + "' (Conv): ";
  if (g.k < 1) throw ShapeError(what + "filter count " + std::to_string(g.k) + " must be >= 1");
  ConfigureWindow(what, "filter", in_shape, options_, g);
  g.dilation_h = options_.dilation_h;
  g.dilation_w = options_.dilation_w;
  out_shape = {g.k, g.p, g.q};
  weight_shape = {g.k, g.c, g.r, g.s};
  return *this;
}

void Conv::allocate() {
  ParameterLayer::allocate();
  geometry_.n = batch_size();
  if (compute_deltas()) deltas = Iobuf(in_shape, "deltas");
}

ConvArgs Conv::Args(const Tensor& src, const Tensor& filter, const Tensor& dst) const {
  ConvArgs args;
  args.dtype = dtype();
  args.geometry = geometry_;
  args.src = Ref(src, name, "input");
  args.filter = Ref(filter, name, "filter");
  args.dst = Ref(dst, name, "output");
  args.src_layout = in_layout;
  args.dst_layout = out_layout;
  return args;
}

Tensor Conv::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  CheckActivation(inputs, in_shape, "input");
  inputs_ = inputs;
  be().conv_fprop(Args(inputs, W, outputs));
  return outputs;
}

Tensor Conv::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  if (!compute_deltas()) {
    be().conv_bprop_filter(Args(inputs_, dW, error));
    return Tensor();
  }
  be().conv_bprop(Args(inputs_, dW, error), Args(deltas, W, error));
  return deltas;
}

// ---- Pooling ----

Pooling::Pooling(int64_t r, int64_t s, const std::string& op, ConvOptions options, std::string name)
    : Layer(std::move(name)), options_(options) {
  if (op == "max") {
    op_ = PoolOp::kMax;
  } else if (op == "avg") {
    op_ = PoolOp::kAvg;
  } else {
    throw ArgumentError("Pooling '" + this->name + "': unknown op '" + op + "' (known: max, avg)");
  }
  // Stride 0 means the window size (non-overlapping), as neon's default.
  if (options_.stride_h == 0) options_.stride_h = r;
  if (options_.stride_w == 0) options_.stride_w = s;
  geometry_.r = r;
  geometry_.s = s;
}

Layer& Pooling::configure(const Shape& in_obj) {
  Layer::configure(in_obj);
  PoolGeometry& g = geometry_;
  std::string what = "layer '" + name + "' (Pooling): ";
  if (options_.dilation_h != 1 || options_.dilation_w != 1) {
    throw ShapeError(what + "dilation " + Pair(options_.dilation_h, options_.dilation_w) + " is not supported (must be 1)");
  }
  ConfigureWindow(what, "window", in_shape, options_, g);
  out_shape = {g.c, g.p, g.q};
  return *this;
}

void Pooling::allocate() {
  Layer::allocate();
  geometry_.n = batch_size();
  if (op_ == PoolOp::kMax) {
    argmax_ = empty(be(), {geometry_.c * geometry_.p * geometry_.q, geometry_.n}, DType::kInt32, name + ".argmax");
  }
  if (compute_deltas()) deltas = Iobuf(in_shape, "deltas");
}

PoolArgs Pooling::Args(const Tensor& src, const Tensor& dst) const {
  PoolArgs args;
  args.dtype = dtype();
  args.op = op_;
  args.geometry = geometry_;
  args.src = Ref(src, name, "input");
  args.dst = Ref(dst, name, "output");
  if (op_ == PoolOp::kMax) args.argmax = Ref(argmax_, name, "argmax");
  args.src_layout = in_layout;
  args.dst_layout = out_layout;
  return args;
}

Tensor Pooling::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  CheckActivation(inputs, in_shape, "input");
  be().pool_fprop(Args(inputs, outputs));
  return outputs;
}

Tensor Pooling::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  if (!compute_deltas()) return Tensor();
  be().pool_bprop(Args(deltas, error));
  return deltas;
}

}  // namespace neon
