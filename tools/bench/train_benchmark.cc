// Training throughput of the zoo's models (layers/model_zoo.h) as `neon train`
// trains them: the same layers and initialisation (BuildLayers of the zoo's
// description after SetSeed), batch 128, Adam(lr 0.001), CrossEntropyMulti fused
// with the Softmax output, Model::fit over a shuffled iterator that copies each
// minibatch from host memory to the device. The data are synthetic, shaped like
// Fashion-MNIST ((1, 28, 28), 10 classes); --data-dir reads the real files instead.
// tools/bench/train_torch.py runs this next to the same training in PyTorch.
//
// One repetition is one epoch over --batches minibatches, timed to the device's
// last result; the figure is the median of the repetitions in images per second.
//
// Run: tools/bazel run //tools/bench:train_benchmark -- [--backend=cpu] [--model convnet|mlp]
//          [--threads N] [--reps 5] [--batches 20] [--data-dir DIR] [--neon-layout]
// --neon-layout keeps every activation in neon's layout (layers/device_layout.h), to
// measure what the backend's own layout between conv layers gains.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/error.h"
#include "data/dataset.h"
#include "graph/execute.h"
#include "graph/random_stream.h"
#include "layers/layer_registry.h"
#include "layers/model.h"
#include "layers/model_zoo.h"
#include "tools/bench/bench_main.h"

namespace neon {
namespace {

// `neon train`'s defaults (tools/train.h: TrainOptions).
constexpr int64_t kBatchSize = 128;
constexpr double kLearningRate = 0.001;
constexpr uint64_t kSeed = 1;

struct Flags {
  std::string backend = "cpu";
  std::string model = "convnet";
  std::string data_dir;
  int reps = 5;
  int batches = 20;
  bool device_layout = true;  // --neon-layout: every activation in neon's layout
};

using bench::FlagInRange;

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg.rfind("--backend=", 0) == 0) {
      flags.backend = arg.substr(10);
    } else if (arg == "--model" && has_value) {
      flags.model = argv[++i];
    } else if (arg == "--data-dir" && has_value) {
      flags.data_dir = argv[++i];
    } else if (arg == "--reps" && has_value) {
      flags.reps = FlagInRange(arg, argv[++i], 1000);
    } else if (arg == "--batches" && has_value) {
      flags.batches = FlagInRange(arg, argv[++i], 1000);  // at most 128,000 images: 400 MB on the host
    } else if (arg == "--neon-layout") {
      flags.device_layout = false;
    } else if (arg == "--threads" && has_value) {
      setenv("NEON_NUM_THREADS", argv[++i], 1);
    } else {
      throw ArgumentError("unknown argument '" + arg +
                          "' (usage: train_benchmark [--backend=NAME] [--model NAME] [--threads N] [--reps N] "
                          "[--batches N] [--data-dir DIR] [--neon-layout])");
    }
  }
  return flags;
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  int64_t images = flags.batches * kBatchSize;
  Dataset data = flags.data_dir.empty() ? SyntheticDataset(images, 28, 10, kSeed)
                                        : LoadMnist(flags.data_dir, "train", images);
  std::unique_ptr<Backend> backend = CreateBackend(flags.backend);
  SetSeed(*backend, kSeed);
  Model model(*backend, BuildLayers(ModelZooDescription(flags.model, data.feature_shape, data.nclass)));
  model.set_device_layout(flags.device_layout);
  Adam optimizer(kLearningRate);
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  auto iterator = MakeIterator(*backend, data, kBatchSize, /*shuffle=*/true, kSeed);

  int epoch = 0;
  auto train_one_epoch = [&] {
    model.fit(*iterator, cost, optimizer, epoch + 1, {}, epoch);
    backend->synchronize();
    ++epoch;
  };
  train_one_epoch();  // warm up: compiles plans, allocates optimizer state
  LaunchStats before = GetLaunchStats();
  train_one_epoch();
  LaunchStats after = GetLaunchStats();

  std::vector<double> images_per_second;
  for (int rep = 0; rep < flags.reps; ++rep) {
    auto start = std::chrono::steady_clock::now();
    train_one_epoch();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    images_per_second.push_back(static_cast<double>(data.size()) / seconds);
  }
  std::sort(images_per_second.begin(), images_per_second.end());
  double median = images_per_second[images_per_second.size() / 2];
  double batches = static_cast<double>(iterator->nbatches());

  std::printf("train %s, batch %lld, Adam, on %s (%s), %s data\n", flags.model.c_str(),
              static_cast<long long>(kBatchSize), backend->info().name.c_str(),
              backend->info().description.c_str(), flags.data_dir.empty() ? "synthetic" : "Fashion-MNIST");
  std::printf("  %.1f images/s median over %d epochs of %lld images (range %.1f - %.1f)\n", median, flags.reps,
              static_cast<long long>(data.size()), images_per_second.front(), images_per_second.back());
  std::printf("  launches per minibatch: %.0f fused kernels, %.0f GEMMs\n",
              static_cast<double>(after.kernels - before.kernels) / batches,
              static_cast<double>(after.gemms - before.gemms) / batches);
  std::printf("TRAIN_IMAGES_PER_SECOND %.3f\n", median);
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::bench::RunMain("train_benchmark", neon::Main, argc, argv); }
