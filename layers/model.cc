#include "layers/model.h"

#include <map>

#include "core/error.h"

namespace neon {

namespace {

// The last leaf layer, looking inside containers.
Layer* LastLeaf(Layer& layer) {
  auto* sequential = dynamic_cast<Sequential*>(&layer);
  if (sequential == nullptr) return &layer;
  if (sequential->layers().empty()) return nullptr;
  return LastLeaf(*sequential->layers().back());
}

// Unnamed layers become "<Kind>_<index>"; a repeated name gets a suffix.
void NameLayers(const std::vector<std::shared_ptr<Layer>>& layers, std::map<std::string, int>& seen) {
  for (size_t i = 0; i < layers.size(); ++i) {
    Layer& layer = *layers[i];
    std::string base = layer.name.empty() ? layer.kind() + "_" + std::to_string(i) : layer.name;
    int count = seen[base]++;
    layer.name = count == 0 ? base : base + "_" + std::to_string(count);
    if (auto* sequential = dynamic_cast<Sequential*>(&layer)) NameLayers(sequential->layers(), seen);
  }
}

}  // namespace

Model::Model(Backend& backend, std::vector<std::shared_ptr<Layer>> layers, DType dtype)
    : backend_(&backend), dtype_(dtype), root_(std::move(layers), "model") {
  if (dtype != DType::kFloat32 && dtype != DType::kFloat64) {
    throw ArgumentError("Model: dtype must be float32 or float64, got " + std::string(DTypeName(dtype)));
  }
  if (root_.layers().empty()) throw ArgumentError("Model: no layers");
}

void Model::configure(const Shape& in_shape, int64_t batch_size) {
  if (batch_size < 1) throw ArgumentError("Model: batch size must be at least 1, got " + std::to_string(batch_size));
  std::map<std::string, int> seen;
  NameLayers(root_.layers(), seen);
  batch_size_ = batch_size;
  root_.set_context({backend_, batch_size, dtype_});
  root_.configure(in_shape);
  configured_ = true;
  allocated_ = false;
}

void Model::allocate() {
  if (!configured_) throw ArgumentError("Model: allocate before configure");
  root_.set_compute_deltas(false);  // nothing before the first layer needs its error
  root_.allocate();
  epoch_cost_ = zeros(*backend_, {1, 1}, dtype_, "model.epoch_cost");
  allocated_ = true;
  active_cost_ = nullptr;  // new buffers: the cost is set up again on the next step
}

void Model::initialize(const DataIterator& data) {
  if (!allocated_) {
    configure(data.feature_shape(), data.batch_size());
    allocate();
    return;
  }
  if (data.feature_shape() != root_.in_shape || data.batch_size() != batch_size_) {
    throw ShapeError("Model: data of features " + ShapeString(data.feature_shape()) + " in batches of " +
                     std::to_string(data.batch_size()) + " does not fit the model, configured for " +
                     ShapeString(root_.in_shape) + " in batches of " + std::to_string(batch_size_));
  }
}

Tensor Model::fprop(const Tensor& x, bool inference) {
  if (!allocated_) throw ArgumentError("Model: fprop before configure and allocate");
  return root_.fprop(x, inference);
}

Tensor Model::bprop(const Tensor& error) { return root_.bprop(error); }

const Transform* Model::FusedOutputTransform(const GeneralizedCost& cost) {
  auto* activation = dynamic_cast<Activation*>(LastLeaf(root_));
  if (activation == nullptr) return nullptr;
  bool fused = cost.fuses_with(activation->transform());
  activation->set_fused_with_cost(fused);
  return fused ? &activation->transform() : nullptr;
}

void Model::train_step(const Batch& batch, GeneralizedCost& cost, Optimizer& optimizer, int epoch) {
  if (!allocated_) throw ArgumentError("Model: train_step before configure and allocate");
  if (active_cost_ != &cost) {  // a new cost: its buffers, and whether it absorbs the output transform
    cost.allocate(*backend_, FeatureSize(root_.out_shape), batch_size_, dtype_);
    active_cost_ = &cost;
    fused_output_ = FusedOutputTransform(cost);
  }
  const Transform* fused = fused_output_;
  Tensor y = fprop(batch.x);
  cost.get_cost(y, batch.t);
  epoch_cost_.assign(epoch_cost_ + cost.cost());
  bprop(cost.get_errors(y, batch.t, fused));
  optimizer.optimize(params(), epoch);
  ++minibatches_done_;
  ++epoch_minibatches_;
}

void Model::fit(DataIterator& train, GeneralizedCost& cost, Optimizer& optimizer, int epochs,
                const std::vector<Callback*>& callbacks, int first_epoch) {
  fit_from(train, cost, optimizer, epochs, callbacks, {first_epoch});
}

void Model::fit_from(DataIterator& train, GeneralizedCost& cost, Optimizer& optimizer, int epochs,
                     const std::vector<Callback*>& callbacks, const FitStart& start) {
  initialize(train);
  if (train.target_rows() != FeatureSize(root_.out_shape)) {
    throw ShapeError("Model: the data has " + std::to_string(train.target_rows()) + " target rows but the last layer '" +
                     root_.layers().back()->name + "' outputs " + ShapeString(root_.out_shape));
  }
  if (start.minibatch < 0 || start.minibatch > train.nbatches()) {
    throw ArgumentError("Model: cannot start at minibatch " + std::to_string(start.minibatch) + " of an epoch of " +
                        std::to_string(train.nbatches()));
  }
  for (Callback* callback : callbacks) callback->on_train_begin(*this, epochs);
  for (int epoch = start.epoch; epoch < epochs; ++epoch) {
    for (Callback* callback : callbacks) callback->on_epoch_begin(*this, epoch);
    train.reset(epoch);
    bool resumed = epoch == start.epoch && start.minibatch > 0;
    int64_t first = resumed ? start.minibatch : 0;
    train.skip(first);
    epoch_cost_.fill(resumed ? start.epoch_cost_sum : 0.0);
    epoch_minibatches_ = first;
    Batch batch;
    for (int64_t minibatch = first; train.next(batch); ++minibatch) {
      for (Callback* callback : callbacks) callback->on_minibatch_begin(*this, epoch, minibatch);
      train_step(batch, cost, optimizer, epoch);
      for (Callback* callback : callbacks) callback->on_minibatch_end(*this, epoch, minibatch);
    }
    for (Callback* callback : callbacks) callback->on_epoch_end(*this, epoch);
  }
  for (Callback* callback : callbacks) callback->on_train_end(*this);
}

double Model::current_cost() const {
  if (active_cost_ == nullptr) throw ArgumentError("Model: no minibatch has been trained yet");
  return active_cost_->cost_value();
}

double Model::epoch_cost() const {
  if (epoch_minibatches_ == 0) return 0.0;
  return epoch_cost_sum() / static_cast<double>(epoch_minibatches_);
}

double Model::epoch_cost_sum() const { return epoch_cost_.defined() ? epoch_cost_.get<double>()[0] : 0.0; }

double Model::eval(DataIterator& data, const Metric& metric) {
  initialize(data);
  Tensor per_sample = empty(*backend_, {1, batch_size_}, DType::kFloat64, "metric");
  double total = 0.0;
  int64_t count = 0;
  data.reset(0);
  Batch batch;
  while (data.next(batch)) {
    Tensor y = fprop(batch.x, /*inference=*/true);
    per_sample.assign(metric(y, batch.t));
    std::vector<double> values = per_sample.get<double>();
    for (int64_t i = 0; i < batch.valid; ++i) total += values[static_cast<size_t>(i)];
    count += batch.valid;
  }
  return count == 0 ? 0.0 : total / static_cast<double>(count);
}

std::vector<float> Model::get_outputs(DataIterator& data) {
  initialize(data);
  int64_t features = FeatureSize(root_.out_shape);
  std::vector<float> all;
  all.reserve(static_cast<size_t>(data.ndata() * features));
  data.reset(0);
  Batch batch;
  while (data.next(batch)) {
    std::vector<float> y = fprop(batch.x, /*inference=*/true).get<float>();  // (features, N)
    for (int64_t column = 0; column < batch.valid; ++column) {
      for (int64_t f = 0; f < features; ++f) all.push_back(y[static_cast<size_t>(f * batch_size_ + column)]);
    }
  }
  return all;
}

}  // namespace neon
