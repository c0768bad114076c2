// Minibatch iterators: what Model::fit and Model::eval read. A batch holds the
// features (feature shape + (N,), neon's layout) and targets ((classes, N) one-hot
// or regression targets) on the model's device. The last partial batch is
// filled by wrapping around to the start of the data (neon's behaviour), and
// `valid` says how many of its columns are real, so metrics count each sample once.
// A batch's tensors stay valid until the next call to next(), skip() or reset().
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "graph/tensor.h"

namespace neon {

struct Batch {
  Tensor x;            // feature_shape + (N,)
  Tensor t;            // (target rows, N)
  int64_t valid = 0;   // leading columns that are real samples
};

class DataIterator {
 public:
  virtual ~DataIterator() = default;
  virtual Shape feature_shape() const = 0;
  virtual int64_t target_rows() const = 0;
  virtual int64_t batch_size() const = 0;
  virtual int64_t ndata() const = 0;
  int64_t nbatches() const { return (ndata() + batch_size() - 1) / batch_size(); }
  // Start an epoch (reshuffles when shuffling, from the seed and the epoch).
  virtual void reset(int epoch) = 0;
  // The next batch of this epoch; false after the last one.
  virtual bool next(Batch& batch) = 0;
  // Passes over the next `minibatches` of this epoch (a resumed run). (optional: reads them)
  virtual void skip(int64_t minibatches);
};

// The host side of an array iterator: samples, the epoch's order, and one minibatch
// gathered into neon's layout. Const after Shuffle, so a loader thread may gather.
class HostBatches {
 public:
  // X is (ndata, features) row-major, targets (ndata, target_rows) row-major.
  HostBatches(std::vector<float> X, std::vector<float> targets, int64_t target_rows, Shape feature_shape,
              int64_t batch_size, bool shuffle, uint64_t seed);

  // The order of an epoch: the identity, or a shuffle from the seed and the epoch.
  void Shuffle(int epoch);
  // Writes minibatch `index` of the epoch to x (features, N) and t (target_rows, N);
  // returns how many of its columns are real samples.
  int64_t Gather(int64_t index, std::vector<float>& x, std::vector<float>& t) const;

  const Shape& feature_shape() const { return feature_shape_; }
  // The device shape of a batch's features: feature_shape + (N,), at least 2-D.
  Shape BatchShape() const;
  int64_t features() const { return features_; }
  int64_t target_rows() const { return target_rows_; }
  int64_t batch_size() const { return batch_size_; }
  int64_t ndata() const { return ndata_; }
  int64_t nbatches() const { return (ndata_ + batch_size_ - 1) / batch_size_; }

 private:
  Shape feature_shape_;
  int64_t features_ = 0;
  int64_t target_rows_ = 0;
  int64_t batch_size_ = 0;
  int64_t ndata_ = 0;
  bool shuffle_ = false;
  uint64_t seed_ = 0;
  std::vector<float> X_;
  std::vector<float> targets_;
  std::vector<int64_t> order_;
};

// One-hot targets (labels.size(), nclass) row-major; labels must be in [0, nclass).
std::vector<float> OneHotTargets(const std::vector<int32_t>& labels, int64_t nclass);

// An iterator serving HostBatches: its shapes and counts are theirs.
class HostBatchesIterator : public DataIterator {
 public:
  explicit HostBatchesIterator(HostBatches host) : host_(std::move(host)) {}
  Shape feature_shape() const override { return host_.feature_shape(); }
  int64_t target_rows() const override { return host_.target_rows(); }
  int64_t batch_size() const override { return host_.batch_size(); }
  int64_t ndata() const override { return host_.ndata(); }

 protected:
  // Device buffers for one batch's features and targets.
  Tensor BatchFeatures(Backend& backend, DType dtype) const {
    return empty(backend, host_.BatchShape(), dtype, "batch.x");
  }
  Tensor BatchTargets(Backend& backend, DType dtype) const {
    return empty(backend, {host_.target_rows(), host_.batch_size()}, dtype, "batch.t");
  }

  HostBatches host_;
};

// Host arrays served in minibatches, copied to the device when asked for.
class ArrayIterator : public HostBatchesIterator {
 public:
  // Classification: labels in [0, nclass), targets one-hot.
  ArrayIterator(Backend& backend, std::vector<float> X, std::vector<int32_t> labels, int64_t nclass,
                Shape feature_shape, int64_t batch_size, bool shuffle = false, uint64_t seed = 0,
                DType dtype = DType::kFloat32);
  // Regression: targets (ndata, target_rows) row-major.
  ArrayIterator(Backend& backend, std::vector<float> X, std::vector<float> targets, int64_t target_rows,
                Shape feature_shape, int64_t batch_size, bool shuffle = false, uint64_t seed = 0,
                DType dtype = DType::kFloat32);
  ArrayIterator(Backend& backend, HostBatches host, DType dtype = DType::kFloat32);

  void reset(int epoch) override;
  bool next(Batch& batch) override;
  void skip(int64_t minibatches) override;

 private:
  int64_t index_ = 0;                   // the next minibatch of the epoch
  Tensor x_, t_;                        // device buffers, reused for every batch
  std::vector<float> x_host_, t_host_;  // staging, transposed to (features, N)
};

}  // namespace neon
