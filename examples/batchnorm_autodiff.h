// The seed's layer with autodiff (neon: "Example layer with autodiff"): BatchNorm
// whose bprop comes from Autodiff over its forward op-tree.
//
//   class BatchNormAutodiff(BatchNorm):
//       def get_forward_optree(self):
//           xvar = self.be.var(self.x, axis=1)
//           xmean = self.be.mean(self.x, axis=1)
//           xhat = (self.x - xmean) / self.be.sqrt(xvar + self.eps)
//           return xhat * self.gamma + self.beta
//       def fprop(self, inputs, inference=False):
//           if inference:
//               return self._fprop_inference(inputs)
//           self.init_buffers(inputs)
//           if self.allparams is None:
//               self.init_params(self.nfm)
//               self.fprop_op_tree = self.get_forward_optree()
//           self.y[:] = self.fprop_op_tree
//           self.gmean[:] = (self.gmean * self.rho + (1.0 - self.rho) * self.be.mean(self.x, axis=1))
//           self.gvar[:] = (self.gvar * self.rho + (1.0 - self.rho) * self.be.var(self.x, axis=1))
//           return self.outputs
//       def bprop(self, error):
//           if not self.deltas:
//               self.deltas = error.reshape((self.nfm, -1))
//           ad = Autodiff(self.fprop_op_tree, self.be, next_error=self.deltas)
//           ad.back_prop_grad([self.x, self.gamma, self.beta],
//                             [self.deltas, self.grad_gamma, self.grad_beta])
//           return error
//
// One difference: here allocate() makes the parameters (so optimizers see them
// before the first step), and init_buffers() drops the op-tree when the input
// buffer changes, so the tree is (re)built whenever it is missing.
#pragma once

#include <string>

#include "autodiff/autodiff.h"
#include "layers/batch_norm.h"

class BatchNormAutodiff : public neon::BatchNorm {
 public:
  explicit BatchNormAutodiff(double rho = 0.99, double eps = 1e-6, std::string name = "")
      : BatchNorm(rho, eps, std::move(name)) {}

  // Initialize the fprop optree for batchnorm.
  neon::Expr get_forward_optree() {
    // get fprop op-tree
    neon::Expr xvar = neon::var(x, 1);
    neon::Expr xmean = neon::mean(x, 1);
    neon::Expr xhat = (x - xmean) / neon::sqrt(xvar + eps);
    return xhat * gamma + beta;
  }

  // Compute the actual fprop from op-tree, update the global estimations
  neon::Tensor fprop(neon::Tensor inputs, bool inference = false) override {
    if (inference) return fprop_inference(inputs);
    init_buffers(inputs);
    if (allparams.empty()) init_params(nfm);
    if (!fprop_op_tree) fprop_op_tree = get_forward_optree();

    // the actual f-prop
    y.assign(*fprop_op_tree);

    // for inference
    gmean.assign(gmean * rho + (1.0 - rho) * neon::mean(x, 1));
    gvar.assign(gvar * rho + (1.0 - rho) * neon::var(x, 1));

    return outputs;
  }

  // Use Autodiff.back_prop_grad to back propagate gradients for the corresponding tensors.
  neon::Tensor bprop(neon::Tensor error) override {
    if (!deltas.defined()) deltas = error.reshape({nfm, -1});

    // autodiff caches and reuses the derivation for trees of the same structure
    neon::Autodiff ad(*fprop_op_tree, be(), deltas);

    // back propagate
    ad.back_prop_grad({x, gamma, beta}, {deltas, grad_gamma, grad_beta});

    return error;
  }

  std::string kind() const override { return "BatchNormAutodiff"; }
};
