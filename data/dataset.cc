#include "data/dataset.h"

#include <filesystem>
#include <random>

#include "data/idx.h"
#include "core/error.h"
#include "layers/prefetching_iterator.h"

namespace neon {

namespace {

// The file `stem` in `dir`, compressed or not.
std::string FindIdxFile(const std::string& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem}) {
    std::string path = (std::filesystem::path(dir) / name).string();
    if (std::filesystem::exists(path)) return path;
  }
  throw IoError(dir + ": no " + stem + "[.gz] (expected an MNIST-format dataset directory, e.g. " +
                kFashionMnistDir + " from the dataset-fashion-mnist package)");
}

}  // namespace

Dataset LoadMnist(const std::string& dir, const std::string& split, int64_t subset) {
  if (split != "train" && split != "test") throw ArgumentError("LoadMnist: split must be train or test, got " + split);
  std::string prefix = split == "train" ? "train" : "t10k";
  std::string images_path = FindIdxFile(dir, prefix + "-images-idx3-ubyte");
  std::string labels_path = FindIdxFile(dir, prefix + "-labels-idx1-ubyte");
  IdxArray images = ReadIdx(images_path, subset);
  IdxArray labels = ReadIdx(labels_path, subset);
  if (images.dims.size() != 3) {
    throw IoError(images_path + ": images must have rank 3 (count, rows, columns), got rank " +
                  std::to_string(images.dims.size()));
  }
  if (labels.dims.size() != 1) {
    throw IoError(labels_path + ": labels must have rank 1, got rank " + std::to_string(labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    throw IoError(labels_path + ": " + std::to_string(labels.dims[0]) + " labels but " + images_path + " has " +
                  std::to_string(images.dims[0]) + " images");
  }
  if (images.dims[0] == 0) throw IoError(images_path + ": no images");
  Dataset dataset;
  dataset.nclass = 10;
  dataset.feature_shape = {1, images.dims[1], images.dims[2]};
  dataset.images.resize(images.data.size());
  for (size_t i = 0; i < images.data.size(); ++i) dataset.images[i] = static_cast<float>(images.data[i]) / 255.0f;
  dataset.labels.resize(labels.data.size());
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= dataset.nclass) {
      throw IoError(labels_path + ": label " + std::to_string(labels.data[i]) + " of sample " + std::to_string(i) +
                    " is outside [0, 10)");
    }
    dataset.labels[i] = labels.data[i];
  }
  return dataset;
}

Dataset SyntheticDataset(int64_t size, int64_t side, int64_t nclass, uint64_t seed) {
  if (size < 1 || side < 1 || nclass < 1 || nclass > side) {
    throw ArgumentError("SyntheticDataset: need size >= 1 and 1 <= nclass <= side, got size " + std::to_string(size) +
                        ", side " + std::to_string(side) + ", nclass " + std::to_string(nclass));
  }
  Dataset dataset;
  dataset.nclass = nclass;
  dataset.feature_shape = {1, side, side};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> noise(0.0f, 0.5f);
  int64_t pixels = side * side;
  dataset.images.resize(static_cast<size_t>(size * pixels));
  dataset.labels.resize(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) {
    int32_t label = static_cast<int32_t>(rng() % static_cast<uint64_t>(nclass));
    dataset.labels[static_cast<size_t>(i)] = label;
    int64_t stripe_row = label * side / nclass;  // each class lights its own row
    for (int64_t p = 0; p < pixels; ++p) {
      float value = noise(rng) + (p / side == stripe_row ? 0.5f : 0.0f);
      dataset.images[static_cast<size_t>(i * pixels + p)] = value;
    }
  }
  return dataset;
}

std::unique_ptr<DataIterator> MakeIterator(Backend& backend, const Dataset& dataset, int64_t batch_size, bool shuffle,
                                           uint64_t seed, bool prefetch, DType dtype) {
  HostBatches host(dataset.images, OneHotTargets(dataset.labels, dataset.nclass), dataset.nclass,
                   dataset.feature_shape, batch_size, shuffle, seed);
  if (prefetch) return std::make_unique<PrefetchingIterator>(backend, std::move(host), dtype);
  return std::make_unique<ArrayIterator>(backend, std::move(host), dtype);
}

}  // namespace neon
