// Classification datasets held on the host: Fashion-MNIST / MNIST from IDX files,
// and synthetic data for tests. An iterator over one serves minibatches in neon's
// layout (features, N), shuffled per epoch from a seed, the last partial batch
// wrapped around with its real columns counted (layers/data_iterator.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/tensor.h"
#include "layers/data_iterator.h"

namespace neon {

struct Dataset {
  std::vector<float> images;    // (size, prod(feature_shape)) row-major, in [0, 1]
  std::vector<int32_t> labels;  // (size), in [0, nclass)
  Shape feature_shape;          // (C, H, W)
  int64_t nclass = 0;
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// split "train" or "test": reads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `dir`;
// `subset` > 0 keeps the first `subset` samples. IoError on a missing or bad file, or labels
// that do not match the images.
Dataset LoadMnist(const std::string& dir, const std::string& split, int64_t subset = 0);

// `size` samples of shape (1, side, side) in `nclass` classes that a small model separates
// (a class-specific bright stripe plus uniform noise), from `seed`.
Dataset SyntheticDataset(int64_t size, int64_t side, int64_t nclass, uint64_t seed);

// Minibatches of `dataset` on `backend`, one-hot targets; with `prefetch`, the next batch is
// prepared by a loader thread while the caller computes (layers/prefetching_iterator.h).
std::unique_ptr<DataIterator> MakeIterator(Backend& backend, const Dataset& dataset, int64_t batch_size, bool shuffle,
                                           uint64_t seed, bool prefetch = false, DType dtype = DType::kFloat32);

}  // namespace neon
