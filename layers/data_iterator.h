// Minibatch iterators: what Model::fit and Model::eval read. A batch holds the
// features (feature shape + (N,), neon's layout) and targets ((classes, N) one-hot
// or regression targets) on the model's device. The last partial batch is
// filled by wrapping around to the start of the data (neon's behaviour), and
// `valid` says how many of its columns are real, so metrics count each sample once.
#pragma once

#include <cstdint>
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
};

// Host arrays served in minibatches: X is (ndata, features) row-major.
class ArrayIterator : public DataIterator {
 public:
  // Classification: labels in [0, nclass), targets one-hot.
  ArrayIterator(Backend& backend, std::vector<float> X, std::vector<int32_t> labels, int64_t nclass,
                Shape feature_shape, int64_t batch_size, bool shuffle = false, uint64_t seed = 0,
                DType dtype = DType::kFloat32);
  // Regression: targets (ndata, target_rows) row-major.
  ArrayIterator(Backend& backend, std::vector<float> X, std::vector<float> targets, int64_t target_rows,
                Shape feature_shape, int64_t batch_size, bool shuffle = false, uint64_t seed = 0,
                DType dtype = DType::kFloat32);

  Shape feature_shape() const override { return feature_shape_; }
  int64_t target_rows() const override { return target_rows_; }
  int64_t batch_size() const override { return batch_size_; }
  int64_t ndata() const override { return ndata_; }
  void reset(int epoch) override;
  bool next(Batch& batch) override;

 private:
  void Init(Backend& backend, DType dtype);

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
  int64_t position_ = 0;
  Tensor x_, t_;                      // device buffers, reused for every batch
  std::vector<float> x_host_, t_host_;  // staging, transposed to (features, N)
};

}  // namespace neon
