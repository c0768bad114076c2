#include "layers/batch_norm.h"

#include <typeinfo>

#include "core/error.h"

namespace neon {

BatchNorm::BatchNorm(double rho, double eps, std::string name) : Layer(std::move(name)), rho(rho), eps(eps) {
  if (!(rho >= 0.0 && rho <= 1.0)) throw ArgumentError("BatchNorm: rho must be in [0, 1], got " + std::to_string(rho));
  if (!(eps > 0.0)) throw ArgumentError("BatchNorm: eps must be positive, got " + std::to_string(eps));
}

Layer& BatchNorm::configure(const Shape& in_obj) {
  Layer::configure(in_obj);
  out_shape = in_shape;
  nfm = in_shape[0];
  return *this;
}

void BatchNorm::allocate() {
  Layer::allocate();
  deltas = Tensor();  // made by the first native bprop, for this allocation's batch and dtype
  xmean_ = zeros(be(), {nfm, 1}, dtype(), name + ".xmean");
  xvar_ = ones(be(), {nfm, 1}, dtype(), name + ".xvar");
  if (allparams.empty()) init_params(nfm);
}

void BatchNorm::init_buffers(const Tensor& inputs) {
  CheckActivation(inputs, in_shape, "input");
  Tensor view = inputs.reshape({nfm, -1});
  bool same = x.defined() && x.buffer() == view.buffer() && x.offset() == view.offset() && x.shape() == view.shape();
  if (same) return;
  x = view.named(name + ".x");
  y = outputs.reshape({nfm, -1});
  fprop_op_tree.reset();  // it reads x
}

void BatchNorm::init_params(int64_t dim) {
  beta = zeros(be(), {dim, 1}, dtype(), name + ".beta");
  gamma = ones(be(), {dim, 1}, dtype(), name + ".gamma");
  grad_beta = zeros(be(), {dim, 1}, dtype(), name + ".grad_beta");
  grad_gamma = zeros(be(), {dim, 1}, dtype(), name + ".grad_gamma");
  gmean = zeros(be(), {dim, 1}, dtype(), name + ".gmean");
  gvar = ones(be(), {dim, 1}, dtype(), name + ".gvar");
  allparams = {beta, gamma, gmean, gvar};
}

Tensor BatchNorm::fprop_inference(const Tensor& inputs) {
  init_buffers(inputs);
  y.assign((x - gmean) / sqrt(gvar + eps) * gamma + beta);
  return outputs;
}

namespace {

BufferRef Operand(const Tensor& tensor) { return {tensor.buffer().get(), tensor.offset()}; }

}  // namespace

bool BatchNorm::Native(const char* feature, const Tensor& activation) const {
  // A strided view takes the op-tree path: the op's operands are contiguous.
  return be().supports(feature) && x.is_contiguous() && activation.is_contiguous();
}

DeviceLayoutRole BatchNorm::device_layout_role() const {
  bool native = be().supports("batch_norm_fprop") && be().supports("batch_norm_bprop");
  return typeid(*this) == typeid(BatchNorm) && native ? DeviceLayoutRole::kPreserves : DeviceLayoutRole::kNone;
}

void BatchNorm::CheckDeviceLayout(bool native) const {
  if (in_layout == ActivationLayout::kDevice && !native) {
    throw BackendError("layer '" + name + "' (BatchNorm): activations in the device layout of backend '" +
                       be().info().name + "', which does not run batch norm natively on them");
  }
}

BatchNormArgs BatchNorm::Args(const Tensor& mean, const Tensor& var) const {
  BatchNormArgs args;
  args.dtype = dtype();
  args.channels = nfm;
  args.elements = x.shape()[1];
  args.epsilon = eps;
  args.src = Operand(x);
  args.dst = Operand(y);
  args.gamma = Operand(gamma);
  args.beta = Operand(beta);
  args.mean = Operand(mean);
  args.var = Operand(var);
  args.layout = in_layout;  // the same at the output (a kPreserves layer)
  args.batch = batch_size();
  return args;
}

Tensor BatchNorm::fprop(Tensor inputs, bool inference) {
  CheckReady("fprop");
  init_buffers(inputs);
  bool native = Native("batch_norm_fprop", x);
  CheckDeviceLayout(native);
  if (inference && !native) return fprop_inference(inputs);
  if (inference) {
    BatchNormArgs args = Args(gmean, gvar);
    args.inference = true;
    be().batch_norm_fprop(args);
    return outputs;
  }
  if (native) {
    be().batch_norm_fprop(Args(xmean_, xvar_));
  } else {
    xmean_.assign(mean(x, 1));
    xvar_.assign(var(x, 1));
    y.assign((x - xmean_) / sqrt(xvar_ + eps) * gamma + beta);
  }
  // The running averages stay op-trees on every backend rather than a backend op's job: C
  // elements, one fused kernel each, the same rule everywhere, and backend ops stay stateless.
  gmean.assign(gmean * rho + (1.0 - rho) * xmean_);
  gvar.assign(gvar * rho + (1.0 - rho) * xvar_);
  return outputs;
}

// With xhat = (x - mean) / sqrt(var + eps) and n samples per feature:
// dgamma = sum(e * xhat), dbeta = sum(e), dx = gamma / sqrt(var + eps) * (e - (xhat dgamma + dbeta) / n).
Tensor BatchNorm::bprop(Tensor error) {
  CheckActivation(error, out_shape, "error");
  Tensor e = error.reshape({nfm, -1});
  bool native = Native("batch_norm_bprop", e);
  CheckDeviceLayout(native);
  if (native) {
    // Into deltas, not in place as the op-trees: oneDNN's backward is slower in place (batch
    // norm through conv_benchmark: 0.83 of oneDNN's time in place, 1.00 out of place).
    if (compute_deltas() && !deltas.defined()) deltas = Iobuf(in_shape, "deltas");
    Tensor out = compute_deltas() ? deltas : error;
    BatchNormArgs args = Args(xmean_, xvar_);
    args.diff_dst = Operand(e);
    args.diff_src = Operand(out);
    args.diff_gamma = Operand(grad_gamma);
    args.diff_beta = Operand(grad_beta);
    be().batch_norm_bprop(args);
    return out;
  }
  Expr inv_std = 1.0 / sqrt(xvar_ + eps);
  Expr xhat = (x - xmean_) * inv_std;
  grad_gamma.assign(sum(e * xhat, 1));
  grad_beta.assign(sum(e, 1));
  double n = static_cast<double>(x.shape()[1]);
  e.assign(gamma * inv_std * (e - (xhat * grad_gamma + grad_beta) / n));
  return error;
}

std::vector<Param> BatchNorm::params() {
  return {{name + ".beta", beta, grad_beta}, {name + ".gamma", gamma, grad_gamma}};
}

std::vector<Param> BatchNorm::states() {
  return {{name + ".gmean", gmean, Tensor()}, {name + ".gvar", gvar, Tensor()}};
}

}  // namespace neon
