// BatchNorm (Ioffe & Szegedy, 2015): per feature for (F, N) activations, per
// channel for conv activations (C, H, W, N), both seen as (nfm, -1).
// fprop and bprop run the backend's batch_norm_fprop / batch_norm_bprop where
// supports() says native, else op-trees with hand-derived gradients (the same
// formulas, core/conv_args.h); running mean and variance (population variance,
// as neon) are kept for inference.
//
// The members carry neon's names (x, y, gamma, beta, gmean, gvar, rho, eps, nfm,
// grad_gamma, grad_beta, allparams, fprop_op_tree, init_buffers, init_params),
// so the seed's BatchNormAutodiff subclass reads as it does in Python.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace neon {

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(double rho = 0.9, double eps = 1e-3, std::string name = "");

  Layer& configure(const Shape& in_obj) override;
  void allocate() override;
  Tensor fprop(Tensor inputs, bool inference = false) override;
  Tensor bprop(Tensor error) override;
  std::vector<Param> params() override;   // beta, gamma (neon's order)
  std::vector<Param> states() override;   // gmean, gvar
  std::string kind() const override { return "BatchNorm"; }
  // In a device-layout chain only as itself (a subclass such as the seed's BatchNormAutodiff
  // computes with op-trees, which read neon's layout) and where the backend runs both ops.
  DeviceLayoutRole device_layout_role() const override;

  // x and y: the input and output seen as (nfm, -1); remade when the input buffer changes.
  void init_buffers(const Tensor& inputs);
  // beta = 0, gamma = 1, running mean 0 and variance 1, gradients.
  void init_params(int64_t dim);
  // y = (x - gmean) / sqrt(gvar + eps) * gamma + beta, as an op-tree (the seed's _fprop_inference).
  Tensor fprop_inference(const Tensor& inputs);

  double rho;
  double eps;
  int64_t nfm = 0;
  Tensor x, y;
  Tensor gamma, beta, grad_gamma, grad_beta;
  Tensor gmean, gvar;
  std::vector<Tensor> allparams;  // empty until init_params
  std::optional<Expr> fprop_op_tree;

 protected:
  Tensor xmean_, xvar_;  // batch statistics of the last training fprop

 private:
  // Whether the backend runs `feature` natively on x and this activation (both contiguous).
  bool Native(const char* feature, const Tensor& activation) const;
  // BackendError when the activations are in the device layout but the op is not native.
  void CheckDeviceLayout(bool native) const;
  // The op's operands for x, y, gamma, beta and the given statistics.
  BatchNormArgs Args(const Tensor& mean, const Tensor& var) const;
};

}  // namespace neon
