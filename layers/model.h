// Model: a list of layers on one backend, trained with fit and measured with
// eval (neon.models.Model). A training step reads like a table of contents:
//
//   y = fprop(x); cost.get_cost(y, t); bprop(cost.get_errors(y, t)); optimizer.optimize(params, epoch)
//
// Layers are held by shared_ptr: a model and its creator (C++ or a Python binding)
// can both hold them safely.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/basic_layers.h"
#include "layers/batch_norm.h"
#include "layers/conv_layers.h"
#include "layers/costs.h"
#include "layers/data_iterator.h"
#include "layers/layer.h"
#include "layers/optimizers.h"

namespace neon {

class Model;

// Hooks into fit (neon's callbacks). Every method is optional.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Model& model, int epochs) {}
  virtual void on_train_end(Model& model) {}
  virtual void on_epoch_begin(Model& model, int epoch) {}
  virtual void on_epoch_end(Model& model, int epoch) {}
  virtual void on_minibatch_begin(Model& model, int epoch, int64_t minibatch) {}
  virtual void on_minibatch_end(Model& model, int epoch, int64_t minibatch) {}
};

// Where fit starts: a new run (all zero), or a checkpoint's epoch, the minibatch
// within it, and the sum of that epoch's minibatch costs so far.
struct FitStart {
  int epoch = 0;
  int64_t minibatch = 0;
  double epoch_cost_sum = 0.0;
};

class Model {
 public:
  // Layers in order; a nested list (e.g. from Affine) is spliced in by the caller.
  Model(Backend& backend, std::vector<std::shared_ptr<Layer>> layers, DType dtype = DType::kFloat32);

  // Propagate shapes (names unnamed layers "<Kind>_<index>"), then allocate every buffer.
  void configure(const Shape& in_shape, int64_t batch_size);
  void allocate();
  // Whether allocate may keep conv activations in the backend's own layout between layers
  // (layers/device_layout.h; on by default). Takes effect at the next allocate.
  void set_device_layout(bool allowed) { root_.set_device_layout(allowed); }
  // configure + allocate for the iterator's shapes, once.
  void initialize(const DataIterator& data);

  // Trains epochs first_epoch .. epochs - 1 (first_epoch > 0 continues a resumed run).
  void fit(DataIterator& train, GeneralizedCost& cost, Optimizer& optimizer, int epochs,
           const std::vector<Callback*>& callbacks = {}, int first_epoch = 0);
  // fit continued from a position inside an epoch (a checkpoint written mid-epoch).
  void fit_from(DataIterator& train, GeneralizedCost& cost, Optimizer& optimizer, int epochs,
                const std::vector<Callback*>& callbacks, const FitStart& start);
  // One minibatch: fprop, cost, bprop, update.
  void train_step(const Batch& batch, GeneralizedCost& cost, Optimizer& optimizer, int epoch);
  // The metric averaged over every sample of the iterator (inference mode).
  double eval(DataIterator& data, const Metric& metric);
  // The model's outputs for every sample, (ndata, output features) row-major.
  std::vector<float> get_outputs(DataIterator& data);

  Tensor fprop(const Tensor& x, bool inference = false);
  Tensor bprop(const Tensor& error);

  std::vector<Param> params() { return root_.params(); }
  std::vector<Param> states() { return root_.states(); }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return root_.layers(); }
  Backend& backend() const { return *backend_; }
  DType dtype() const { return dtype_; }
  const Shape& out_shape() const { return root_.out_shape; }
  int64_t batch_size() const { return batch_size_; }
  bool allocated() const { return allocated_; }

  // During fit: the cost of the last minibatch (waits for the device), and the mean
  // cost of the epoch so far.
  double current_cost() const;
  double epoch_cost() const;
  // The sum of this epoch's minibatch costs and their count (what a checkpoint keeps).
  double epoch_cost_sum() const;
  int64_t epoch_minibatches() const { return epoch_minibatches_; }
  int64_t minibatches_done() const { return minibatches_done_; }

 private:
  // The output layer's transform when the cost absorbs it (Softmax + CrossEntropyMulti).
  const Transform* FusedOutputTransform(const GeneralizedCost& cost);

  Backend* backend_;
  DType dtype_;
  Sequential root_;
  int64_t batch_size_ = 0;
  bool configured_ = false;
  bool allocated_ = false;
  GeneralizedCost* active_cost_ = nullptr;
  const Transform* fused_output_ = nullptr;  // decided once per cost
  Tensor epoch_cost_;  // (1, 1) sum of minibatch costs this epoch
  int64_t minibatches_done_ = 0;
  int64_t epoch_minibatches_ = 0;
};

}  // namespace neon
