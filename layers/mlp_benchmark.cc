// One training step (fprop + bprop + update) of an MLP 784-512-512-10 (Rectlin,
// Softmax + CrossEntropyMulti, GradientDescentMomentum 0.9), batch 128, float32,
// through Model::train_step on a backend. Baseline in the same run: the step's
// eight GEMMs called straight on the backend (the floor any step pays), so the
// ratio step / floor is our overhead. tools/bench/mlp_torch.py runs this next to
// the same step in PyTorch and prints ours/torch.
//
// Run: tools/bazel run -c opt //layers:mlp_benchmark -- [--backend=cpu] [--reps 21] [--steps 10]
// Threads: --threads N (sets NEON_NUM_THREADS for the cpu backend).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/error.h"
#include "graph/execute.h"
#include "graph/random_stream.h"
#include "layers/model.h"
#include "tools/bench/bench_main.h"

namespace neon {
namespace {

constexpr int64_t kBatch = 128;
constexpr int64_t kSizes[] = {784, 512, 512, 10};

template <typename Fn>
double MedianSeconds(int reps, int calls, Fn&& fn) {
  fn();  // warm up: compiles plans, allocates optimizer state
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / calls);
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

// The eight GEMMs of one step, straight on the backend.
struct GemmFloor {
  GemmFloor(Backend& be) {
    for (int i = 0; i < 3; ++i) {
      W.push_back(full(be, {kSizes[i + 1], kSizes[i]}, 0.01));
      dW.push_back(empty(be, {kSizes[i + 1], kSizes[i]}));
      act.push_back(full(be, {kSizes[i], kBatch}, 0.5));
      err.push_back(full(be, {kSizes[i + 1], kBatch}, 0.1));
    }
    act.push_back(empty(be, {kSizes[3], kBatch}));
  }

  // C (m x n) = op(A) op(B).
  static void Gemm(Backend& be, const Tensor& a, bool ta, const Tensor& b, bool tb, const Tensor& c) {
    GemmArgs args;
    args.m = c.shape()[0];
    args.n = c.shape()[1];
    args.k = ta ? a.shape()[0] : a.shape()[1];
    args.a = {a.buffer().get(), 0, a.shape()[1], ta, 0};
    args.b = {b.buffer().get(), 0, b.shape()[1], tb, 0};
    args.c = {c.buffer().get(), 0, c.shape()[1], false, 0};
    be.gemm(args);
  }

  void Run(Backend& be) {
    for (int i = 0; i < 3; ++i) Gemm(be, W[i], false, act[i], false, i < 2 ? err[i] : act[3]);  // forward
    for (int i = 2; i >= 0; --i) {
      Gemm(be, err[i], false, act[i], true, dW[i]);                // dW = e x^T
      if (i > 0) Gemm(be, W[i], true, err[i], false, act[i]);      // dx = W^T e
    }
    be.synchronize();
  }

  std::vector<Tensor> W, dW, act, err;
};

int Main(int argc, char** argv) {
  std::string spec = "cpu";
  int reps = 21, steps = 10;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--backend=", 0) == 0) {
      spec = arg.substr(10);
    } else if (arg == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--steps" && i + 1 < argc) {
      steps = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--threads" && i + 1 < argc) {
      setenv("NEON_NUM_THREADS", argv[++i], 1);
    } else {
      std::fprintf(stderr, "usage: mlp_benchmark [--backend=NAME] [--reps N] [--steps N] [--threads N]\n");
      return 2;
    }
  }
  std::unique_ptr<Backend> be = CreateBackend(spec);
  SetSeed(*be, 1);

  AffineOptions hidden;
  hidden.activation = std::make_shared<Rectlin>();
  AffineOptions output;
  output.activation = std::make_shared<Softmax>();
  std::vector<std::shared_ptr<Layer>> layers;
  for (int i = 1; i <= 3; ++i) {
    for (auto& layer : Affine(kSizes[i], std::make_shared<GlorotUniform>(), i < 3 ? hidden : output)) {
      layers.push_back(layer);
    }
  }
  Model model(*be, layers);
  model.configure({kSizes[0]}, kBatch);
  model.allocate();
  GeneralizedCost cost(std::make_shared<CrossEntropyMulti>());
  GDMOptions options;
  options.momentum_coef = 0.9;
  GradientDescentMomentum sgd(0.01, options);

  Batch batch;
  batch.x = empty(*be, {kSizes[0], kBatch});
  batch.x.fill_random(Distribution::kUniform, 0.0, 1.0);
  std::vector<float> targets(static_cast<size_t>(kSizes[3] * kBatch), 0.0f);
  for (int64_t j = 0; j < kBatch; ++j) targets[static_cast<size_t>((j % kSizes[3]) * kBatch + j)] = 1.0f;
  batch.t = array(*be, targets, {kSizes[3], kBatch});
  batch.valid = kBatch;

  auto step = [&] {
    model.train_step(batch, cost, sgd, 0);
    be->synchronize();
  };
  step();
  LaunchStats before = GetLaunchStats();
  step();
  LaunchStats after = GetLaunchStats();

  double step_seconds = MedianSeconds(reps, steps, step);
  GemmFloor floor(*be);
  double floor_seconds = MedianSeconds(reps, steps, [&] { floor.Run(*be); });

  std::printf("mlp 784-512-512-10, batch %lld, float32, on %s (%s)\n", static_cast<long long>(kBatch),
              be->info().name.c_str(), be->info().description.c_str());
  std::printf("  train step       median %8.3f ms over %d reps of %d steps\n", step_seconds * 1e3, reps, steps);
  std::printf("  8 GEMMs (floor)  median %8.3f ms   step / floor: %.2f\n", floor_seconds * 1e3,
              step_seconds / floor_seconds);
  std::printf("  launches per step: %llu (%llu fused kernels + %llu GEMMs)\n",
              static_cast<unsigned long long>(after.kernels - before.kernels + after.gemms - before.gemms),
              static_cast<unsigned long long>(after.kernels - before.kernels),
              static_cast<unsigned long long>(after.gemms - before.gemms));
  std::printf("MLP_STEP_SECONDS %.9f\n", step_seconds);
  return 0;
}

}  // namespace
}  // namespace neon

int main(int argc, char** argv) { return neon::bench::RunMain("mlp_benchmark", neon::Main, argc, argv); }
