#include "layers/data_iterator.h"

#include <numeric>
#include <random>

#include "core/error.h"

namespace neon {

namespace {

int64_t Features(const Shape& feature_shape) {
  int64_t size = 1;
  for (int64_t dim : feature_shape) {
    if (dim < 1) throw ShapeError("ArrayIterator: feature shape " + ShapeString(feature_shape) + " has a dimension < 1");
    size *= dim;
  }
  return size;
}

}  // namespace

void DataIterator::skip(int64_t minibatches) {
  Batch batch;
  for (int64_t i = 0; i < minibatches && next(batch); ++i) {
  }
}

std::vector<float> OneHotTargets(const std::vector<int32_t>& labels, int64_t nclass) {
  if (nclass < 1) throw ArgumentError("ArrayIterator: nclass must be at least 1, got " + std::to_string(nclass));
  std::vector<float> targets(labels.size() * static_cast<size_t>(nclass), 0.0f);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= nclass) {
      throw ArgumentError("ArrayIterator: label " + std::to_string(labels[i]) + " of sample " + std::to_string(i) +
                          " is outside [0, " + std::to_string(nclass) + ")");
    }
    targets[i * static_cast<size_t>(nclass) + static_cast<size_t>(labels[i])] = 1.0f;
  }
  return targets;
}

HostBatches::HostBatches(std::vector<float> X, std::vector<float> targets, int64_t target_rows, Shape feature_shape,
                         int64_t batch_size, bool shuffle, uint64_t seed)
    : feature_shape_(std::move(feature_shape)),
      target_rows_(target_rows),
      batch_size_(batch_size),
      shuffle_(shuffle),
      seed_(seed),
      X_(std::move(X)),
      targets_(std::move(targets)) {
  features_ = Features(feature_shape_);
  if (batch_size_ < 1) throw ArgumentError("ArrayIterator: batch size must be at least 1, got " + std::to_string(batch_size_));
  if (target_rows_ < 1) throw ArgumentError("ArrayIterator: targets need at least one row");
  if (X_.size() % static_cast<size_t>(features_) != 0) {
    throw ShapeError("ArrayIterator: " + std::to_string(X_.size()) + " values are not a whole number of samples of " +
                     std::to_string(features_) + " features " + ShapeString(feature_shape_));
  }
  ndata_ = static_cast<int64_t>(X_.size()) / features_;
  if (ndata_ < 1) throw ArgumentError("ArrayIterator: no samples");
  if (static_cast<int64_t>(targets_.size()) != ndata_ * target_rows_) {
    throw ShapeError("ArrayIterator: " + std::to_string(ndata_) + " samples but " + std::to_string(targets_.size()) +
                     " target values (expected " + std::to_string(ndata_ * target_rows_) + ")");
  }
  Shuffle(0);
}

Shape HostBatches::BatchShape() const {
  Shape shape = feature_shape_;
  shape.push_back(batch_size_);
  if (shape.size() < 2) shape.insert(shape.begin(), 1);
  return shape;
}

void HostBatches::Shuffle(int epoch) {
  order_.resize(static_cast<size_t>(ndata_));
  std::iota(order_.begin(), order_.end(), 0);
  if (!shuffle_) return;
  // Fisher-Yates with an explicit draw, so every platform shuffles alike.
  std::mt19937_64 rng(seed_ * 1000003u + static_cast<uint64_t>(epoch));
  for (int64_t i = ndata_ - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order_[static_cast<size_t>(i)], order_[static_cast<size_t>(j)]);
  }
}

int64_t HostBatches::Gather(int64_t index, std::vector<float>& x, std::vector<float>& t) const {
  x.resize(static_cast<size_t>(features_ * batch_size_));
  t.resize(static_cast<size_t>(target_rows_ * batch_size_));
  int64_t first = index * batch_size_;
  for (int64_t column = 0; column < batch_size_; ++column) {
    int64_t sample = order_[static_cast<size_t>((first + column) % ndata_)];
    for (int64_t f = 0; f < features_; ++f) {
      x[static_cast<size_t>(f * batch_size_ + column)] = X_[static_cast<size_t>(sample * features_ + f)];
    }
    for (int64_t r = 0; r < target_rows_; ++r) {
      t[static_cast<size_t>(r * batch_size_ + column)] = targets_[static_cast<size_t>(sample * target_rows_ + r)];
    }
  }
  return std::min(batch_size_, ndata_ - first);
}

ArrayIterator::ArrayIterator(Backend& backend, std::vector<float> X, std::vector<int32_t> labels, int64_t nclass,
                             Shape feature_shape, int64_t batch_size, bool shuffle, uint64_t seed, DType dtype)
    : ArrayIterator(backend, std::move(X), OneHotTargets(labels, nclass), nclass, std::move(feature_shape), batch_size,
                    shuffle, seed, dtype) {}

ArrayIterator::ArrayIterator(Backend& backend, std::vector<float> X, std::vector<float> targets, int64_t target_rows,
                             Shape feature_shape, int64_t batch_size, bool shuffle, uint64_t seed, DType dtype)
    : ArrayIterator(backend, HostBatches(std::move(X), std::move(targets), target_rows, std::move(feature_shape),
                                         batch_size, shuffle, seed),
                    dtype) {}

ArrayIterator::ArrayIterator(Backend& backend, HostBatches host, DType dtype)
    : HostBatchesIterator(std::move(host)), x_(BatchFeatures(backend, dtype)), t_(BatchTargets(backend, dtype)) {}

void ArrayIterator::reset(int epoch) {
  host_.Shuffle(epoch);
  index_ = 0;
}

bool ArrayIterator::next(Batch& batch) {
  if (index_ >= host_.nbatches()) return false;
  batch.valid = host_.Gather(index_, x_host_, t_host_);
  x_.set(x_host_);
  t_.set(t_host_);
  batch.x = x_;
  batch.t = t_;
  ++index_;
  return true;
}

void ArrayIterator::skip(int64_t minibatches) {
  if (minibatches < 0) throw ArgumentError("ArrayIterator: cannot skip " + std::to_string(minibatches) + " minibatches");
  index_ = minibatches >= host_.nbatches() - index_ ? host_.nbatches() : index_ + minibatches;
}

}  // namespace neon
